/**
 * `wharf scan`'s default output: trivy's table. Per target a title underlined with "=", the totals
 * by severity, and a box-drawn table (Library, Vulnerability, Severity, Status, Installed Version,
 * Fixed Version, Title, the title's second line being the advisory's URL). A target without
 * findings prints its totals only, as trivy does for an OS without vulnerabilities.
 */
import { stringWidth } from "../format/width.ts";
import { findingStatus, type ScanTarget, severityCounts } from "./results.ts";

const HEADERS = [
  "Library",
  "Vulnerability",
  "Severity",
  "Status",
  "Installed Version",
  "Fixed Version",
  "Title",
];
/** trivy cuts titles to keep the table within a terminal. */
const TITLE_WIDTH = 60;

export function trivyTable(targets: readonly ScanTarget[]): string {
  let out = "";
  for (const t of targets) {
    // trivy shows language targets only when they have findings.
    if (t.class === "lang-pkgs" && t.findings.length === 0) continue;
    const counts = severityCounts(t.findings);
    const total = t.findings.length;
    out += `\n${t.target}\n${"=".repeat(stringWidth(t.target))}\n`;
    out += `Total: ${total} (UNKNOWN: ${counts.UNKNOWN}, LOW: ${counts.LOW}, MEDIUM: ${counts.MEDIUM}, HIGH: ${counts.HIGH}, CRITICAL: ${counts.CRITICAL})\n`;
    if (total === 0) continue;
    const rows = t.findings.map((f) => [
      [f.pkg.name],
      [f.vulnerabilityId],
      [f.severity.severity],
      [findingStatus(f)],
      [f.pkg.version],
      [f.fixedVersions.join(", ")],
      [cut(f.title, TITLE_WIDTH), f.primaryUrl],
    ]);
    out += `\n${box(
      HEADERS.map((h) => [h]),
      rows,
    )}`;
  }
  return out;
}

/** A table of cells of one or more lines each, drawn with box-drawing characters. */
function box(header: string[][], rows: string[][][]): string {
  const widths = header.map((h, i) =>
    Math.max(...[h, ...rows.map((r) => r[i] ?? [])].flat().map((line) => stringWidth(line))),
  );
  const rule = (l: string, m: string, r: string) =>
    `${l}${widths.map((w) => "─".repeat(w + 2)).join(m)}${r}\n`;
  const line = (cells: string[][], centred: boolean) => {
    const height = Math.max(...cells.map((c) => c.length));
    let text = "";
    for (let k = 0; k < height; k++) {
      const parts = cells.map((c, i) => pad(c[k] ?? "", widths[i]!, centred));
      text += `│ ${parts.join(" │ ")} │\n`;
    }
    return text;
  };
  let out = rule("┌", "┬", "┐") + line(header, true) + rule("├", "┼", "┤");
  rows.forEach((r, i) => {
    out += line(r, false);
    out += i < rows.length - 1 ? rule("├", "┼", "┤") : rule("└", "┴", "┘");
  });
  return out;
}

function pad(text: string, width: number, centred: boolean): string {
  const gap = width - stringWidth(text);
  if (!centred) return text + " ".repeat(gap);
  const left = Math.floor(gap / 2);
  return " ".repeat(left) + text + " ".repeat(gap - left);
}

function cut(text: string, width: number): string {
  return stringWidth(text) <= width ? text : `${text.slice(0, width - 3)}...`;
}
