/**
 * The "rust-binary" cataloger: the crates compiled into a Rust executable built with
 * cargo-auditable, from its `.dep-v0` section. Only runtime packages are reported: build
 * dependencies (build scripts, proc macros) ran at build time and are not in the binary.
 */
import type { Cataloger, CatalogFile, FoundPackage } from "../types.ts";
import { isElf, readElf } from "./elf.ts";
import { wantsExecutable } from "./executable-file.ts";
import { type AuditablePackage, readAuditData } from "./rust-auditable.ts";

export function rustBinaryPackages(packages: AuditablePackage[]): FoundPackage[] {
  return packages
    .filter((p) => p.kind === "runtime")
    .map((p) => ({ type: "cargo" as const, name: p.name, version: p.version }));
}

export const rustBinaryCataloger: Cataloger = {
  name: "rust-binary",
  wants: (_path, size, mode) => wantsExecutable(size, mode),
  read(file: CatalogFile): FoundPackage[] {
    if (!isElf(file.content)) return [];
    const packages = readAuditData(readElf(file.path, file.content));
    return packages === undefined ? [] : rustBinaryPackages(packages);
  },
};
