/**
 * `wharf scan --vex FILE`: OpenVEX documents (github.com/openvex/spec) hide the findings their
 * authors say do not apply, as trivy's --vex does. A statement is about a finding when its
 * vulnerability (`name`, `@id` or an alias) is the finding's CVE, OSV record ID or one of its
 * aliases, and one of its products names the finding's package, or names the image (with the
 * package among its subcomponents, or with none listed). Of the statements about a finding the
 * latest decides (a later timestamp, then later in the document: the spec's "newer overrides"):
 * `not_affected` and `fixed` hide it, `affected` and `under_investigation` keep it. The package is
 * asked first, then the image, as trivy walks from a package up to the image it is in.
 */
import { WharfError } from "../errors.ts";
import type { Finding } from "./match.ts";
import { componentNamesImage, componentNamesPackage, type VexComponent, type VexImage } from "./vex-match.ts";

export const VEX_STATUSES = ["not_affected", "affected", "fixed", "under_investigation"] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

export interface VexProduct extends VexComponent {
  subcomponents: VexComponent[];
}

export interface VexStatement {
  vulnerability: { id?: string; name?: string; aliases: string[] };
  products: VexProduct[];
  status: VexStatus;
  justification?: string;
  /** The statement's timestamp, else the document's (ms since the epoch; 0 when neither says). */
  time: number;
  /** Its place in the document: of two statements of one time, the later overrides. */
  order: number;
}

export interface VexDocument {
  id?: string;
  statements: VexStatement[];
}

export interface VexHidden {
  finding: Finding;
  statement: VexStatement;
}

/** Reads an OpenVEX document (v0.2.0, and v0.0.1's string vulnerabilities and products). */
export function parseOpenVex(text: string): VexDocument {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw invalid(`not JSON (${(err as Error).message})`);
  }
  const doc = asObject(json);
  if (!doc || !Array.isArray(doc.statements)) {
    throw invalid("not an OpenVEX document (no statements; CycloneDX and CSAF VEX are not read)");
  }
  const docTime = timeOf(doc.timestamp);
  return {
    ...(typeof doc["@id"] === "string" ? { id: doc["@id"] } : {}),
    statements: doc.statements.map((s: unknown, i: number) => readStatement(s, i, docTime)),
  };
}

/** The findings the documents leave, and those they hide with the statement that did. */
export function filterByVex(
  findings: readonly Finding[],
  documents: readonly VexDocument[],
  image: VexImage,
): { kept: Finding[]; hidden: VexHidden[] } {
  const kept: Finding[] = [];
  const hidden: VexHidden[] = [];
  for (const finding of findings) {
    const statement = hidingStatement(finding, documents, image);
    if (statement) hidden.push({ finding, statement });
    else kept.push(finding);
  }
  return { kept, hidden };
}

function hidingStatement(
  finding: Finding,
  documents: readonly VexDocument[],
  image: VexImage,
): VexStatement | undefined {
  const ids = new Set([finding.vulnerabilityId, finding.recordId, ...finding.aliases]);
  const purl = finding.pkg.purl;
  const namesPackage = (c: VexComponent) => componentNamesPackage(c, purl);
  const levels: ((p: VexProduct) => boolean)[] = [
    (p) => namesPackage(p) && (p.subcomponents.length === 0 || p.subcomponents.some(namesPackage)),
    (p) =>
      componentNamesImage(p, image) && (p.subcomponents.length === 0 || p.subcomponents.some(namesPackage)),
  ];
  for (const level of levels) {
    for (const doc of documents) {
      const about = doc.statements.filter((s) => isAbout(s, ids) && s.products.some(level));
      const latest = about.sort((a, b) => a.time - b.time || a.order - b.order).at(-1);
      if (latest && (latest.status === "not_affected" || latest.status === "fixed")) return latest;
    }
  }
  return undefined;
}

function isAbout(s: VexStatement, ids: ReadonlySet<string>): boolean {
  const v = s.vulnerability;
  return (
    (v.name !== undefined && ids.has(v.name)) ||
    (v.id !== undefined && ids.has(v.id)) ||
    v.aliases.some((a) => ids.has(a))
  );
}

function readStatement(raw: unknown, index: number, docTime: number): VexStatement {
  const where = `statement ${index + 1}`;
  const s = asObject(raw);
  if (!s) throw invalid(`${where} is not an object`);
  const status = s.status;
  if (typeof status !== "string" || !(VEX_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`${where} has status ${JSON.stringify(status)}: one of ${VEX_STATUSES.join(", ")}`);
  }
  const vulnerability = readVulnerability(s.vulnerability);
  if (!vulnerability) throw invalid(`${where} names no vulnerability`);
  if (!Array.isArray(s.products)) throw invalid(`${where} has no products`);
  // v0.0.1 listed subcomponents beside the products, for all of them.
  const shared = Array.isArray(s.subcomponents) ? s.subcomponents.map(readComponent) : [];
  const products = s.products.map((p: unknown) => {
    const product = readComponent(p);
    const own = asObject(p)?.subcomponents;
    return { ...product, subcomponents: [...(Array.isArray(own) ? own.map(readComponent) : []), ...shared] };
  });
  const statementTime = timeOf(s.timestamp);
  return {
    vulnerability,
    products,
    status: status as VexStatus,
    ...(typeof s.justification === "string" ? { justification: s.justification } : {}),
    time: statementTime || docTime,
    order: index,
  };
}

function readVulnerability(raw: unknown): VexStatement["vulnerability"] | undefined {
  if (typeof raw === "string") return raw ? { name: raw, aliases: [] } : undefined;
  const v = asObject(raw);
  if (!v) return undefined;
  const name = typeof v.name === "string" && v.name ? v.name : undefined;
  const id = typeof v["@id"] === "string" && v["@id"] ? v["@id"] : undefined;
  const aliases = Array.isArray(v.aliases) ? v.aliases.filter((a) => typeof a === "string") : [];
  if (!name && !id && aliases.length === 0) return undefined;
  return { ...(name ? { name } : {}), ...(id ? { id } : {}), aliases };
}

function readComponent(raw: unknown): VexComponent {
  if (typeof raw === "string") return { id: raw, identifiers: {}, hashes: {} };
  const c = asObject(raw) ?? {};
  return {
    ...(typeof c["@id"] === "string" && c["@id"] ? { id: c["@id"] } : {}),
    identifiers: stringValues(c.identifiers),
    hashes: stringValues(c.hashes),
  };
}

function stringValues(raw: unknown): Record<string, string> {
  const o = asObject(raw) ?? {};
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function asObject(raw: unknown): Record<string, unknown> | undefined {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : undefined;
}

function timeOf(raw: unknown): number {
  const ms = typeof raw === "string" ? Date.parse(raw) : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** A document the scan cannot read is a bad --vex value: the CLI names the file. */
function invalid(why: string): WharfError {
  return new WharfError("SCAN_VEX_INVALID", why);
}
