/**
 * The dependency list cargo-auditable embeds in a Rust executable: the ELF section `.dep-v0`,
 * zlib-compressed JSON `{"packages": [{name, version, source, kind, dependencies, root}]}`, as
 * cargo-auditable's PARSING.md and cargo-auditable.schema.json describe it.
 */
import { inflateSync } from "node:zlib";
import { binaryInvalid } from "./binary-invalid.ts";
import { type ElfFile, sectionByName, sectionData } from "./elf.ts";

export const AUDIT_SECTION = ".dep-v0";
/** PARSING.md's advice against zip bombs: no legitimate audit data comes near 8 MiB. */
export const MAX_AUDIT_DATA_BYTES = 8 * 1024 * 1024;

export interface AuditablePackage {
  name: string;
  version: string;
  /** "crates.io", "git", "local", "registry" or another source kind. */
  source: string;
  /** "build" for build scripts' and proc macros' dependencies, which are not in the binary. */
  kind: "runtime" | "build";
  /** Indices into the package list. */
  dependencies: number[];
  root: boolean;
}

/** The audit data of a Rust ELF executable; undefined when it has no `.dep-v0` section. */
export function readAuditData(elf: ElfFile): AuditablePackage[] | undefined {
  const section = sectionByName(elf, AUDIT_SECTION);
  return section === undefined ? undefined : parseAuditData(elf.path, sectionData(elf, section));
}

/** The packages of one compressed `.dep-v0` section's content. */
export function parseAuditData(path: string, compressed: Buffer): AuditablePackage[] {
  let json: string;
  try {
    json = inflateSync(compressed, { maxOutputLength: MAX_AUDIT_DATA_BYTES }).toString("utf8");
  } catch (err) {
    const tooLarge = (err as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE";
    const why = tooLarge ? `inflates to more than ${MAX_AUDIT_DATA_BYTES} bytes` : "is not zlib data";
    throw binaryInvalid(path, `cargo-auditable ${AUDIT_SECTION} section ${why}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw binaryInvalid(path, `cargo-auditable ${AUDIT_SECTION} section is not JSON`);
  }
  const packages = (data as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(packages)) {
    throw binaryInvalid(path, `cargo-auditable ${AUDIT_SECTION} section has no "packages" list`);
  }
  return packages.map((p, i) => auditablePackage(path, p, i));
}

function auditablePackage(path: string, value: unknown, index: number): AuditablePackage {
  const p = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const bad = (what: string) =>
    binaryInvalid(path, `cargo-auditable ${AUDIT_SECTION} package ${index}: ${what}`, { index });
  if (typeof p.name !== "string" || p.name === "") throw bad("no name");
  if (typeof p.version !== "string" || p.version === "") throw bad("no version");
  // The schema's defaults: kind "runtime", no dependencies, not the root.
  const kind = p.kind ?? "runtime";
  if (kind !== "runtime" && kind !== "build") throw bad(`unknown kind ${JSON.stringify(kind)}`);
  const dependencies = p.dependencies ?? [];
  if (!Array.isArray(dependencies) || !dependencies.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad("dependencies are not package indices");
  }
  return {
    name: p.name,
    version: p.version,
    source: typeof p.source === "string" ? p.source : "",
    kind,
    dependencies,
    root: p.root === true,
  };
}
