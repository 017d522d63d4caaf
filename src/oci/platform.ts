/**
 * OCI platforms ("linux/arm64/v8"), following github.com/containerd/platforms: parse a specifier,
 * normalise OS and architecture aliases, format, and convert to and from the image-spec JSON form.
 * Pure, except for the host default: that reads /proc/cpuinfo once, lazily, and only on ARM Linux.
 * Matching and preference ordering are in platform-match.ts.
 */
import { readFileSync } from "node:fs";
import { endianness, machine, release } from "node:os";
import { WharfError } from "../errors.ts";

/** An image-spec descriptor platform. Empty optional fields are left out rather than set to "". */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
}

/** The platform as serialised in an image index or config (image-spec field names and order). */
export interface PlatformJSON {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
}

/** Builds a Platform, dropping empty fields (Go's zero values) so that equal platforms deep-equal. */
function platformOf(
  os: string,
  architecture: string,
  variant = "",
  osVersion = "",
  osFeatures: readonly string[] = [],
): Platform {
  const p: Platform = { os, architecture };
  if (variant !== "") p.variant = variant;
  if (osVersion !== "") p.osVersion = osVersion;
  if (osFeatures.length > 0) p.osFeatures = [...osFeatures];
  return p;
}

// ---------------------------------------------------------------------------------------------
// JSON form

function invalidJSON(message: string, value: unknown): WharfError {
  return new WharfError("PLATFORM_INVALID", `invalid platform: ${message}`, { value });
}

function optionalString(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (v === undefined) return "";
  if (typeof v !== "string") throw invalidJSON(`${key} must be a string`, obj);
  return v;
}

/** Reads an image-spec platform object; throws PLATFORM_INVALID when a field has the wrong type. */
export function platformFromJSON(value: unknown): Platform {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidJSON("not an object", value);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.os !== "string") throw invalidJSON("os must be a string", value);
  if (typeof obj.architecture !== "string") throw invalidJSON("architecture must be a string", value);
  const features = obj["os.features"];
  if (features !== undefined && !(Array.isArray(features) && features.every((f) => typeof f === "string"))) {
    throw invalidJSON("os.features must be an array of strings", value);
  }
  return platformOf(
    obj.os,
    obj.architecture,
    optionalString(obj, "variant"),
    optionalString(obj, "os.version"),
    features as string[] | undefined,
  );
}

/** Writes the image-spec form, leaving out empty fields as Go's `omitempty` does. */
export function platformToJSON(p: Platform): PlatformJSON {
  const out: PlatformJSON = { architecture: p.architecture, os: p.os };
  if (p.osVersion) out["os.version"] = p.osVersion;
  if (p.osFeatures && p.osFeatures.length > 0) out["os.features"] = [...p.osFeatures];
  if (p.variant) out.variant = p.variant;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Known names and normalisation (containerd's database.go)

const KNOWN_OS = new Set(
  "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris windows zos".split(
    " ",
  ),
);
const KNOWN_ARCH = new Set(
  (
    "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le " +
    "mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm"
  ).split(" "),
);

export function isKnownOS(os: string): boolean {
  return KNOWN_OS.has(os);
}

export function isKnownArch(arch: string): boolean {
  return KNOWN_ARCH.has(arch);
}

/**
 * The os/arch pairs `docker manifest annotate` accepts (docker/cli's validOSArches: Go's supported
 * ports of its day plus linux/s390x); a manifest list entry outside them is refused.
 */
const MANIFEST_OS_ARCH = new Set(
  (
    "darwin/386 darwin/amd64 darwin/arm darwin/arm64 dragonfly/amd64 freebsd/386 freebsd/amd64 " +
    "freebsd/arm linux/386 linux/amd64 linux/arm linux/arm64 linux/ppc64le linux/mips64 linux/mips64le " +
    "linux/riscv64 linux/s390x netbsd/386 netbsd/amd64 netbsd/arm openbsd/386 openbsd/amd64 openbsd/arm " +
    "plan9/386 plan9/amd64 solaris/amd64 windows/386 windows/amd64"
  ).split(" "),
);

export function isValidManifestOSArch(os: string, arch: string): boolean {
  return MANIFEST_OS_ARCH.has(`${os}/${arch}`);
}

/** Lower-cases and maps aliases (macOS -> darwin); an empty OS means the host's. */
export function normalizeOS(os: string): string {
  if (os === "") return hostOS();
  const lower = os.toLowerCase();
  return lower === "macos" ? "darwin" : lower;
}

/** Maps architecture aliases to Go's names and variants to their canonical spelling. */
export function normalizeArch(arch: string, variant: string): [architecture: string, variant: string] {
  const a = arch.toLowerCase();
  const v = variant.toLowerCase();
  switch (a) {
    case "i386":
      return ["386", ""];
    case "x86_64":
    case "x86-64":
    case "amd64":
      return ["amd64", v === "v1" ? "" : v];
    case "aarch64":
    case "arm64":
      if (v === "8" || v === "v8" || v === "v8.0") return ["arm64", ""];
      if (v === "9" || v === "9.0" || v === "v9.0") return ["arm64", "v9"];
      return ["arm64", v];
    case "armhf":
      return ["arm", "v7"];
    case "armel":
      return ["arm", "v6"];
    case "arm":
      if (v === "" || v === "7") return ["arm", "v7"];
      if (v === "5" || v === "6" || v === "8") return ["arm", `v${v}`];
      return ["arm", v];
    default:
      return [a, v];
  }
}

/** Go's byte-wise string order (UTF-16 order differs from it outside the BMP). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * containerd's Normalize: OS and architecture aliases resolved, OS features sorted and
 * de-duplicated. arm64's default variant (v8) becomes empty; arm's (v7) becomes explicit.
 */
export function normalizePlatform(p: Platform): Platform {
  const [architecture, variant] = normalizeArch(p.architecture, p.variant ?? "");
  const features = [...new Set(p.osFeatures ?? [])].sort(compareBytes);
  return platformOf(normalizeOS(p.os), architecture, variant, p.osVersion, features);
}

// ---------------------------------------------------------------------------------------------
// Parsing

const SPECIFIER_RE = /^[A-Za-z0-9_.-]+$/;
/** `os` optionally followed by `(version+feature+feature)`; version and features are %-encoded. */
const OS_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;

const GO_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** Go's %q (strconv.Quote) for the characters a specifier may hold, so messages read as upstream's. */
function goQuote(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch] !== undefined) out += GO_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `"${out}"`;
}

function parseError(
  code: "PLATFORM_INVALID" | "PLATFORM_UNKNOWN_OS" | "PLATFORM_UNKNOWN_ARCH",
  message: string,
  input: string,
): WharfError {
  // Upstream wraps errdefs.ErrInvalidArgument, which shows in every message.
  return new WharfError(code, `${message}: invalid argument`, { input });
}

/** strings.SplitN: at most n parts, the last holding the rest. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/**
 * url.PathUnescape, as upstream decodes the OS version and features. The regexp allows only ASCII
 * here; decoded bytes that are not UTF-8 become U+FFFD (Go would keep the raw bytes).
 */
function decodeOSOption(v: string): string {
  if (!v.includes("%")) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== "%") {
      bytes.push(v.charCodeAt(i));
      continue;
    }
    const hex = v.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`invalid URL escape ${goQuote(v.slice(i, i + 3))}`);
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function encodeOSOption(v: string): string {
  return v.replace(/[%+()/]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface OSComponent {
  os: string;
  osVersion: string;
  osFeatures: string[];
}

/** The first component: `os`, `os(version)`, `os(+feature)`, `os(version+f1+f2)`. */
function parseOSComponent(part: string, specifier: string): OSComponent {
  const m = OS_RE.exec(part);
  if (!m) {
    const what = `${goQuote(part)} is an invalid OS component of ${goQuote(specifier)}`;
    throw parseError(
      "PLATFORM_INVALID",
      `${what}: OSAndVersion specifier component must match ${goQuote(OS_RE.source)}`,
      specifier,
    );
  }
  const [, os = "", version = "", features = ""] = m;
  let osVersion: string;
  try {
    osVersion = decodeOSOption(version);
  } catch (err) {
    throw new WharfError(
      "PLATFORM_INVALID",
      `${goQuote(specifier)} has an invalid OS version ${goQuote(version)}: ${(err as Error).message}`,
      { input: specifier },
    );
  }
  // The regexp guarantees every feature is non-empty, so upstream's "empty os feature" cannot occur.
  const osFeatures: string[] = [];
  for (const raw of features === "" ? [] : features.slice(1).split("+")) {
    try {
      osFeatures.push(decodeOSOption(raw));
    } catch (err) {
      throw new WharfError(
        "PLATFORM_INVALID",
        `${goQuote(specifier)} has invalid OS features: invalid os feature ${goQuote(raw)}: ${(err as Error).message}`,
        { input: specifier },
      );
    }
  }
  return { os: normalizeOS(os), osVersion, osFeatures };
}

/**
 * containerd's Parse: `os`, `arch`, `os/arch` or `os/arch/variant`, where `os` may carry
 * `(version+features)`. A lone OS takes the host's architecture, a lone architecture the host's OS;
 * `host` (default: defaultPlatform(), read only when needed) supplies them. The result is not fully
 * normalised: `linux/arm` keeps an empty variant and `linux/arm64/v8` keeps v8, as upstream.
 */
export function parsePlatform(specifier: string, host?: Platform): Platform {
  if (specifier.includes("*")) {
    throw parseError("PLATFORM_INVALID", `${goQuote(specifier)}: wildcards not yet supported`, specifier);
  }
  const parts = splitN(specifier, "/", 4);
  const { os, osVersion, osFeatures } = parseOSComponent(parts[0]!, specifier);
  for (const part of parts.slice(1)) {
    if (!SPECIFIER_RE.test(part)) {
      const what = `${goQuote(part)} is an invalid component of ${goQuote(specifier)}`;
      throw parseError(
        "PLATFORM_INVALID",
        `${what}: platform specifier component must match ${goQuote(SPECIFIER_RE.source)}`,
        specifier,
      );
    }
  }
  switch (parts.length) {
    case 1:
      return parseSingle(parts[0]!, { os, osVersion, osFeatures }, specifier, host ?? defaultPlatform());
    case 2: {
      const [arch, variant] = normalizeArch(parts[1]!, "");
      // arm's default v7 is left implicit.
      return platformOf(os, arch, arch === "arm" && variant === "v7" ? "" : variant, osVersion, osFeatures);
    }
    case 3: {
      const [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
      // An explicit arm64 variant is kept even when it is the default.
      return platformOf(os, arch, arch === "arm64" && variant === "" ? "v8" : variant, osVersion, osFeatures);
    }
    default:
      throw parseError(
        "PLATFORM_INVALID",
        `${goQuote(specifier)}: cannot parse platform specifier`,
        specifier,
      );
  }
}

/** A single component is an OS (host architecture) or else an architecture (host OS). */
function parseSingle(part: string, c: OSComponent, specifier: string, host: Platform): Platform {
  if (isKnownOS(c.os)) {
    // The host's arm variant is only spelled out when it is not the default v7.
    const variant = host.architecture === "arm" && host.variant !== "v7" ? host.variant : "";
    return platformOf(c.os, host.architecture, variant, c.osVersion, c.osFeatures);
  }
  const [arch, variant] = normalizeArch(part, "");
  if (isKnownArch(arch)) {
    return platformOf(
      host.os,
      arch,
      arch === "arm" && variant === "v7" ? "" : variant,
      c.osVersion,
      c.osFeatures,
    );
  }
  throw parseError(
    "PLATFORM_UNKNOWN_OS",
    `${goQuote(specifier)}: unknown operating system or architecture`,
    specifier,
  );
}

/** containerd's ParseAll, for lists such as `--platform linux/amd64,linux/arm64`. */
export function parsePlatforms(specifiers: readonly string[], host?: Platform): Platform[] {
  return specifiers.map((s) => {
    try {
      return parsePlatform(s, host);
    } catch (err) {
      const e = err as WharfError;
      throw new WharfError(e.code, `invalid platform ${s}: ${e.message}`, e.detail, { cause: err });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** Go's path.Join: non-empty elements joined by "/", then cleaned. */
function joinPath(...elems: string[]): string {
  const joined = elems.filter((e) => e !== "").join("/");
  if (joined === "") return "";
  const rooted = joined.startsWith("/");
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg !== "..") out.push(seg);
    else if (out.length > 0 && out.at(-1) !== "..") out.pop();
    else if (!rooted) out.push("..");
  }
  const cleaned = (rooted ? "/" : "") + out.join("/");
  return cleaned === "" ? "." : cleaned;
}

/** `os/arch[/variant]`, without OS version or features; "unknown" when the OS is empty. */
export function formatPlatform(p: Platform): string {
  if (p.os === "") return "unknown";
  return joinPath(p.os, p.architecture, p.variant ?? "");
}

/** Sorted, de-duplicated, non-empty, %-encoded features joined by "+". */
function formatOSFeatures(features: readonly string[]): string {
  const unique = [...new Set(features)].filter((f) => f !== "").sort(compareBytes);
  return unique.map(encodeOSOption).join("+");
}

/** Like formatPlatform, plus `(version+features)` after the OS when present; parsePlatform reads it back. */
export function formatAll(p: Platform): string {
  if (p.os === "") return "unknown";
  const osVersion = encodeOSOption(p.osVersion ?? "");
  const features = formatOSFeatures(p.osFeatures ?? []);
  let os = p.os;
  if (osVersion !== "" || features !== "") os += `(${osVersion}${features === "" ? "" : `+${features}`})`;
  return joinPath(os, p.architecture, p.variant ?? "");
}

// ---------------------------------------------------------------------------------------------
// Host default

/** Node's process.platform in Go's GOOS spelling. */
function hostOS(): string {
  const os = process.platform as string;
  if (os === "win32" || os === "cygwin") return "windows";
  if (os === "sunos") return "solaris";
  return os;
}

/** Node's process.arch in Go's GOARCH spelling. */
function hostArch(): string {
  switch (process.arch) {
    case "x64":
      return "amd64";
    case "ia32":
      return "386";
    case "mipsel":
      return "mipsle";
    case "ppc64":
      return endianness() === "LE" ? "ppc64le" : "ppc64";
    default:
      return process.arch;
  }
}

const ARCH_VARIANT_DIGITS: Readonly<Record<string, string>> = {
  v8: "8",
  v7: "7",
  v6: "6",
  v5: "5",
  v4: "4",
  v3: "3",
};

/**
 * containerd's getCPUVariantFromArch: the variant digit from a `uname -m` machine name
 * ("aarch64" -> "8", "armv7l" -> "7", other armvN -> "unknown"). Throws PLATFORM_UNKNOWN_ARCH for
 * a name that is not ARM.
 */
export function cpuVariantFromArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === "aarch64") return "8";
  if (a.startsWith("armv") && a.length >= 5) return ARCH_VARIANT_DIGITS[a.slice(3, 5)] ?? "unknown";
  throw new WharfError(
    "PLATFORM_UNKNOWN_ARCH",
    `getCPUVariantFromArch invalid arch: ${a}, invalid argument`,
    { input: arch },
  );
}

/** The /proc/cpuinfo fields (and uname machine) that decide the ARM variant on Linux. */
export interface CPUInfo {
  /** "CPU architecture" from /proc/cpuinfo, when present. */
  cpuArchitecture?: string;
  /** "model name" from /proc/cpuinfo, when present. */
  modelName?: string;
  /** uname's machine, used when /proc/cpuinfo has no CPU architecture. */
  machine: string;
}

const CPU_VARIANTS: ReadonlyArray<[variant: string, values: readonly string[]]> = [
  ["v8", ["8", "aarch64"]],
  ["v7", ["7", "7m", "?(12)", "?(13)", "?(14)", "?(15)", "?(16)", "?(17)"]],
  ["v6", ["6", "6tej"]],
  ["v5", ["5", "5t", "5te", "5tej"]],
  ["v4", ["4", "4t"]],
  ["v3", ["3"]],
];

/** containerd's getCPUVariant on Linux, given the values it reads; `arch` is the host's GOARCH. */
export function cpuVariantFromCPUInfo(info: CPUInfo, arch: string): string {
  let variant = info.cpuArchitecture ?? cpuVariantFromArch(info.machine);
  // Some ARMv6 boards (Raspberry Pi 1/Zero) report architecture 7.
  if (arch === "arm" && variant === "7" && info.modelName?.toLowerCase().startsWith("armv6-compatible")) {
    variant = "6";
  }
  variant = variant.toLowerCase();
  return CPU_VARIANTS.find(([, values]) => values.includes(variant))?.[0] ?? "unknown";
}

/** The value of the first /proc/cpuinfo line whose key matches (case-insensitively). */
function cpuInfoField(text: string, key: string): string | undefined {
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields.length > 1 && fields[0]!.trim().toLowerCase() === key.toLowerCase()) return fields[1]!.trim();
  }
  return undefined;
}

/** The host CPU variant, as containerd's cpuVariant(); "" when it cannot be told. */
function readCPUVariant(os: string, arch: string): string {
  switch (os) {
    case "linux":
    case "android":
      try {
        const text = readFileSync("/proc/cpuinfo", "utf8");
        const info: CPUInfo = { machine: machine() };
        const cpuArchitecture = cpuInfoField(text, "Cpu architecture");
        const modelName = cpuInfoField(text, "model name");
        if (cpuArchitecture !== undefined) info.cpuArchitecture = cpuArchitecture;
        if (modelName !== undefined) info.modelName = modelName;
        return cpuVariantFromCPUInfo(info, arch);
      } catch {
        return ""; // upstream logs the error and carries on without a variant
      }
    case "windows":
    case "darwin":
      return arch === "arm64" ? "v8" : arch === "arm" ? "v7" : "unknown";
    case "freebsd":
      return arch === "arm64" ? "v8" : "unknown";
    default:
      return "";
  }
}

let hostVariant: string | undefined;

function hostCPUVariant(): string {
  if (hostVariant === undefined) {
    const arch = hostArch();
    hostVariant = arch === "arm" || arch === "arm64" ? readCPUVariant(hostOS(), arch) : "";
  }
  return hostVariant;
}

/**
 * containerd's DefaultSpec: the host as an OCI platform, e.g. linux/amd64 or linux/arm64/v8
 * (on Windows with the OS version, which matching uses).
 */
export function defaultPlatform(): Platform {
  const os = hostOS();
  return platformOf(os, hostArch(), hostCPUVariant(), os === "windows" ? release() : "");
}
