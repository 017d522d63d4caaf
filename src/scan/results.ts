/**
 * A scan's findings grouped into trivy's results: one target for the OS packages ("NAME (debian
 * 12.5)", class os-pkgs), one per language ("Node.js", "Python", "Java"), one per binary for Go and
 * Rust (its path), each with its packages' findings sorted as trivy sorts them (package name, then
 * severity, highest first, then ID). The JSON report and the table both print these.
 */
import type { ImageInventory, ImagePackage } from "./catalog/image-catalog.ts";
import type { Finding } from "./match.ts";
import { SEVERITIES, type Severity, severityRank } from "./severity.ts";

export interface ScanTarget {
  target: string;
  class: "os-pkgs" | "lang-pkgs";
  /** trivy's Type: the OS ID for OS packages; node-pkg, python-pkg, jar, gobinary, rustbinary. */
  type: string;
  packages: ImagePackage[];
  findings: Finding[];
}

const LANGUAGE_TARGETS: Readonly<Record<string, { target: string; type: string }>> = {
  npm: { target: "Node.js", type: "node-pkg" },
  pypi: { target: "Python", type: "python-pkg" },
  maven: { target: "Java", type: "jar" },
};

const BINARY_TYPES: Readonly<Record<string, string>> = { golang: "gobinary", cargo: "rustbinary" };

export function groupResults(
  artifact: string,
  inventory: ImageInventory,
  findings: readonly Finding[],
): ScanTarget[] {
  const targets = new Map<string, ScanTarget>();
  const targetOf = (pkg: ImagePackage): ScanTarget => {
    const key = targetKey(artifact, inventory, pkg);
    let t = targets.get(key.target);
    if (!t) {
      t = { ...key, packages: [], findings: [] };
      targets.set(key.target, t);
    }
    return t;
  };
  for (const pkg of inventory.packages) targetOf(pkg).packages.push(pkg);
  for (const f of findings) targetOf(f.pkg).findings.push(f);
  for (const t of targets.values()) t.findings.sort(trivyOrder);
  // The OS first, then the languages, then binaries by path: trivy's order.
  return [...targets.values()].sort((a, b) => rank(a) - rank(b) || a.target.localeCompare(b.target));
}

function targetKey(artifact: string, inventory: ImageInventory, pkg: ImagePackage) {
  if (pkg.type === "deb" || pkg.type === "apk" || pkg.type === "rpm") {
    const os = inventory.os;
    const label = os ? `${os.id}${os.versionId ? ` ${os.versionId}` : ""}` : pkg.type;
    return { target: `${artifact} (${label})`, class: "os-pkgs" as const, type: os?.id ?? pkg.type };
  }
  const language = LANGUAGE_TARGETS[pkg.type];
  if (language) return { ...language, class: "lang-pkgs" as const };
  return { target: pkg.path, class: "lang-pkgs" as const, type: BINARY_TYPES[pkg.type] ?? pkg.type };
}

function rank(t: ScanTarget): number {
  if (t.class === "os-pkgs") return 0;
  return t.type === "gobinary" || t.type === "rustbinary" ? 2 : 1;
}

function trivyOrder(a: Finding, b: Finding): number {
  return (
    a.pkg.name.localeCompare(b.pkg.name) ||
    severityRank(b.severity.severity) - severityRank(a.severity.severity) ||
    a.vulnerabilityId.localeCompare(b.vulnerabilityId)
  );
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity.severity] += 1;
  return counts;
}

/** trivy's Status: "fixed" when a fixed version exists, else "affected". */
export function findingStatus(f: Finding): "fixed" | "affected" {
  return f.fixedVersions.length > 0 ? "fixed" : "affected";
}
