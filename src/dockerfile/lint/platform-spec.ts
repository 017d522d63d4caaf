/**
 * Platforms for the checks: containerd's platforms.Parse reduced to what they need (the OS and
 * architecture, normalised, or undefined when it would fail) and the predefined platform ARGs'
 * values. src/oci/platform.ts is the full port; src/dockerfile may not import src/oci.
 */

/** A platform (structurally src/oci's Platform, so the build can pass its own). */
export interface LintPlatform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
}

const OS_AND_VERSION = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$/;
const SPECIFIER = /^[A-Za-z0-9_.-]+$/;

const KNOWN_OS = new Set(
  "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos".split(
    " ",
  ),
);
const KNOWN_ARCH = new Set(
  "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm".split(
    " ",
  ),
);

/** containerd's Parse; `host` fills the half a one-word specifier leaves out. Undefined where Parse fails. */
export function parsePlatformSpec(specifier: string, host: LintPlatform): LintPlatform | undefined {
  if (specifier.includes("*")) return undefined;
  const parts = specifier.split("/");
  const osMatch = OS_AND_VERSION.exec(parts[0] ?? "");
  if (osMatch === null || parts.slice(1).some((p) => !SPECIFIER.test(p))) return undefined;
  const os = normalizeOS(osMatch[1] ?? "");
  const osVersion = osMatch[2] ?? "";
  const withVersion = (p: LintPlatform): LintPlatform => (osVersion === "" ? p : { ...p, osVersion });
  switch (parts.length) {
    case 1: {
      if (KNOWN_OS.has(os)) return withVersion({ os, architecture: host.architecture });
      const [architecture, variant] = normalizeArch(parts[0] ?? "", "");
      if (!KNOWN_ARCH.has(architecture)) return undefined;
      return withVersion(dropArmV7({ os: host.os, architecture, variant }));
    }
    case 2: {
      const [architecture, variant] = normalizeArch(parts[1] ?? "", "");
      return withVersion(dropArmV7({ os, architecture, variant }));
    }
    case 3: {
      const [architecture, variant] = normalizeArch(parts[1] ?? "", parts[2] ?? "");
      return withVersion({
        os,
        architecture,
        variant: architecture === "arm64" && variant === "" ? "v8" : variant,
      });
    }
    default:
      return undefined;
  }
}

/** platforms.Normalize. */
export function normalizePlatform(p: LintPlatform): LintPlatform {
  const [architecture, variant] = normalizeArch(p.architecture, p.variant ?? "");
  const out: LintPlatform = { os: normalizeOS(p.os), architecture };
  if (variant !== "") out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  return out;
}

/** Parse leaves arm's default variant out. */
function dropArmV7(p: LintPlatform): LintPlatform {
  return p.architecture === "arm" && p.variant === "v7" ? { os: p.os, architecture: p.architecture } : p;
}

function normalizeOS(os: string): string {
  const lower = os.toLowerCase();
  return lower === "macos" ? "darwin" : lower;
}

/** containerd's normalizeArch: the architecture and variant in their canonical spellings. */
function normalizeArch(arch: string, variantIn: string): [string, string] {
  const variant = variantIn.toLowerCase();
  switch (arch.toLowerCase()) {
    case "i386":
      return ["386", ""];
    case "x86_64":
    case "x86-64":
    case "amd64":
      return ["amd64", variant === "v1" ? "" : variant];
    case "aarch64":
    case "arm64":
      return ["arm64", ["8", "v8", "v8.0"].includes(variant) ? "" : variant];
    case "armhf":
      return ["arm", "v7"];
    case "armel":
      return ["arm", "v6"];
    case "arm":
      if (variant === "" || variant === "7") return ["arm", "v7"];
      return ["arm", ["5", "6", "8"].includes(variant) ? `v${variant}` : variant];
    default:
      return [arch.toLowerCase(), variant];
  }
}

/** platforms.Format (`os/arch[/variant]`) and FormatAll (with `(osversion)` after the OS). */
export function formatPlatform(p: LintPlatform, withOSVersion = false): string {
  const os = withOSVersion && p.osVersion ? `${p.os}(${p.osVersion})` : p.os;
  return [os, p.architecture, p.variant].filter((s) => s !== undefined && s !== "").join("/");
}

const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  ia32: "386",
  arm: "arm",
  arm64: "arm64",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
};

/** Linux on the architecture Node runs on: the default build and target platform. */
export function hostPlatform(): LintPlatform {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  return architecture === "arm"
    ? { os: "linux", architecture, variant: "v7" }
    : { os: "linux", architecture };
}
