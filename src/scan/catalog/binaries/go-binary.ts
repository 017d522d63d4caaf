/**
 * The "go-binary" cataloger: the Go modules compiled into a Go executable, read from its embedded
 * build information, reported as trivy and syft report them: the main module when it has a real
 * version, every dependency (a replaced one as its replacement's path and version), and the Go
 * standard library as module "stdlib" at the toolchain's version. Unlike them, modules without a
 * real version ("(devel)" local replacements) are left out.
 */
import type { Cataloger, CatalogFile, FoundPackage } from "../types.ts";
import { binaryInvalid } from "./binary-invalid.ts";
import { isElf, readElf } from "./elf.ts";
import { wantsExecutable } from "./executable-file.ts";
import { readGoBuildInfo } from "./go-buildinfo.ts";
import { type GoModInfo, GoModInfoError, parseGoModInfo } from "./go-modinfo.ts";

/** What `go build` records as the main module's version when it has none (a local checkout). */
const DEVEL = "(devel)";

/**
 * The stdlib version for a toolchain version: "go1.19.8" -> "1.19.8", experiments after a space
 * dropped ("go1.22.0 X:boringcrypto" -> "1.22.0"); undefined for a development toolchain
 * ("devel go1.23-abc...") that has no release version.
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const release = goVersion.split(" ")[0] ?? "";
  return /^go\d/.test(release) ? release.slice(2) : undefined;
}

/** The packages of one binary's parsed build information. Modules without a real version (a main
 *  module built from a checkout, a dependency replaced by a local directory: "(devel)" or none) are
 *  left out: no vulnerability record can match them. */
export function goBinaryPackages(goVersion: string, info: GoModInfo): FoundPackage[] {
  const packages: FoundPackage[] = [];
  const add = (name: string, version: string) => {
    if (name !== "" && version !== "" && version !== DEVEL) {
      packages.push({ type: "golang", name, version, goVersion });
    }
  };
  if (info.main !== undefined) add(info.main.path, info.main.version);
  for (const dep of info.deps) {
    const used = dep.replace ?? dep;
    add(used.path, used.version);
  }
  const stdlib = stdlibVersion(goVersion);
  if (stdlib !== undefined) add("stdlib", stdlib);
  return packages;
}

export const goBinaryCataloger: Cataloger = {
  name: "go-binary",
  wants: (_path, size, mode) => wantsExecutable(size, mode),
  read(file: CatalogFile): FoundPackage[] {
    if (!isElf(file.content)) return [];
    const raw = readGoBuildInfo(readElf(file.path, file.content));
    if (raw === undefined) return [];
    let info: GoModInfo;
    try {
      info = parseGoModInfo(raw.modinfo);
    } catch (err) {
      if (err instanceof GoModInfoError) throw binaryInvalid(file.path, err.message);
      throw err;
    }
    return goBinaryPackages(raw.goVersion, info);
  },
};
