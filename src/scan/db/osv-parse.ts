/**
 * One OSV record from its JSON text, checked against what ossf/osv-schema's validation/schema.json
 * requires of the fields the scanner relies on: an ID and RFC 3339 times, package names and
 * ecosystems, ranges of a known type whose events each set exactly one of introduced / fixed /
 * last_affected / limit (with an introduced among them, and never fixed beside last_affected).
 * Anything else wrong is one SCAN_IMPORT_INVALID line naming the file and the field.
 *
 * Lenient where a newer schema may add things: a severity type this code does not know is left out
 * (the record still matches), reference and credit types are kept as written, and the free-form
 * `ecosystem_specific` / `database_specific` objects pass through unread.
 */
import { WharfError } from "../../errors.ts";
import type {
  OsvAffected,
  OsvCredit,
  OsvEvent,
  OsvPackage,
  OsvRange,
  OsvRecord,
  OsvReference,
  OsvSeverity,
  RangeType,
  SeverityType,
} from "./osv-record.ts";

type JsonObject = Record<string, unknown>;

/** What is wrong at a field; turned into the file's one-line error by parseOsvRecord. */
class Problem extends Error {}

const SEVERITY_TYPES: ReadonlySet<string> = new Set<SeverityType>([
  "CVSS_V2",
  "CVSS_V3",
  "CVSS_V4",
  "Ubuntu",
]);
const RANGE_TYPES: ReadonlySet<string> = new Set<RangeType>(["ECOSYSTEM", "SEMVER", "GIT"]);
const EVENT_KEYS = ["introduced", "fixed", "last_affected", "limit"] as const;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `where` names the file (or zip entry) in the error. */
export function parseOsvRecord(text: string | Buffer, where: string): OsvRecord {
  const source = (typeof text === "string" ? text : text.toString("utf8")).replace(/^\uFEFF/, "");
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (err) {
    throw invalid(where, `not JSON (${oneLine((err as Error).message)})`);
  }
  try {
    return readRecord(json);
  } catch (err) {
    if (err instanceof Problem) throw invalid(where, err.message);
    throw err;
  }
}

/** Milliseconds since the epoch of an RFC 3339 time (fractions past milliseconds dropped). */
export function timeMs(rfc3339: string): number {
  return Date.parse(rfc3339.replace(/(\.\d{3})\d+/, "$1"));
}

function invalid(where: string, what: string): WharfError {
  return new WharfError("SCAN_IMPORT_INVALID", `${where}: ${what}`, { path: where });
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

function readRecord(json: unknown): OsvRecord {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Problem("not an OSV record (expected a JSON object)");
  }
  const o = json as JsonObject;
  const id = requiredString(o.id, "id");
  if (/\s/.test(id)) throw new Problem(`id: ${JSON.stringify(id)} contains white space`);
  return compact({
    schema_version: optionalString(o.schema_version, "schema_version"),
    id,
    modified: time(o.modified, "modified", true)!,
    published: time(o.published, "published", false),
    withdrawn: time(o.withdrawn, "withdrawn", false),
    aliases: strings(o.aliases, "aliases"),
    upstream: strings(o.upstream, "upstream"),
    related: list(o.related, "related", relatedId),
    summary: optionalString(o.summary, "summary"),
    details: optionalString(o.details, "details"),
    severity: severities(o.severity, "severity"),
    affected: list(o.affected, "affected", readAffected),
    references: list(o.references, "references", readReference),
    credits: o.credits == null ? undefined : list(o.credits, "credits", readCredit),
    database_specific: optionalObject(o.database_specific, "database_specific"),
  });
}

function readAffected(value: unknown, at: string): OsvAffected {
  const o = object(value, at);
  return compact({
    package: o.package == null ? undefined : readPackage(o.package, `${at}.package`),
    severity: severities(o.severity, `${at}.severity`),
    ranges: list(o.ranges, `${at}.ranges`, readRange),
    versions: strings(o.versions, `${at}.versions`),
    ecosystem_specific: optionalObject(o.ecosystem_specific, `${at}.ecosystem_specific`),
    database_specific: optionalObject(o.database_specific, `${at}.database_specific`),
  });
}

function readPackage(value: unknown, at: string): OsvPackage {
  const o = object(value, at);
  return compact({
    ecosystem: requiredString(o.ecosystem, `${at}.ecosystem`),
    name: requiredString(o.name, `${at}.name`),
    purl: optionalString(o.purl, `${at}.purl`),
  });
}

function readRange(value: unknown, at: string): OsvRange {
  const o = object(value, at);
  const type = requiredString(o.type, `${at}.type`);
  if (!RANGE_TYPES.has(type)) throw new Problem(`${at}.type: unknown range type ${JSON.stringify(type)}`);
  const repo = optionalString(o.repo, `${at}.repo`);
  if (type === "GIT" && repo === undefined) throw new Problem(`${at}: a GIT range needs a repo`);
  const events = list(o.events, `${at}.events`, readEvent);
  if (!events.some((e) => "introduced" in e)) throw new Problem(`${at}.events: no introduced event`);
  if (events.some((e) => "fixed" in e) && events.some((e) => "last_affected" in e)) {
    throw new Problem(`${at}.events: both fixed and last_affected`);
  }
  return compact({
    type: type as RangeType,
    repo,
    events,
    database_specific: optionalObject(o.database_specific, `${at}.database_specific`),
  });
}

function readEvent(value: unknown, at: string): OsvEvent {
  const o = object(value, at);
  const keys = EVENT_KEYS.filter((k) => o[k] !== undefined);
  const key = keys[0];
  if (key === undefined || keys.length > 1) {
    throw new Problem(`${at}: an event sets exactly one of ${EVENT_KEYS.join(", ")}`);
  }
  return { [key]: requiredString(o[key], `${at}.${key}`) } as OsvEvent;
}

/** Severity entries of the known types; one of a type a newer schema added is left out. */
function severities(value: unknown, at: string): OsvSeverity[] {
  const read = list(value, at, (item, itemAt) => {
    const o = object(item, itemAt);
    const type = requiredString(o.type, `${itemAt}.type`);
    const score = requiredString(o.score, `${itemAt}.score`);
    return SEVERITY_TYPES.has(type) ? { type: type as SeverityType, score } : undefined;
  });
  return read.filter((s) => s !== undefined);
}

function readReference(value: unknown, at: string): OsvReference {
  const o = object(value, at);
  return { type: requiredString(o.type, `${at}.type`), url: requiredString(o.url, `${at}.url`) };
}

function readCredit(value: unknown, at: string): OsvCredit {
  const o = object(value, at);
  return compact({
    name: requiredString(o.name, `${at}.name`),
    contact: o.contact == null ? undefined : strings(o.contact, `${at}.contact`),
    type: optionalString(o.type, `${at}.type`),
  });
}

/** Early schemas allowed `related` entries as {type, id} objects; the ID is what counts. */
function relatedId(value: unknown, at: string): string {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return requiredString((value as JsonObject).id, `${at}.id`);
  }
  return requiredString(value, at);
}

function time(value: unknown, at: string, required: boolean): string | undefined {
  if (value == null && !required) return undefined;
  const text = requiredString(value, at);
  if (!RFC3339.test(text) || Number.isNaN(timeMs(text))) {
    throw new Problem(`${at}: ${JSON.stringify(text)} is not an RFC 3339 time`);
  }
  return text;
}

function object(value: unknown, at: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Problem(`${at}: expected an object`);
  }
  return value as JsonObject;
}

function optionalObject(value: unknown, at: string): JsonObject | undefined {
  return value == null ? undefined : object(value, at);
}

function requiredString(value: unknown, at: string): string {
  if (value === undefined || value === null) throw new Problem(`${at}: missing`);
  if (typeof value !== "string") throw new Problem(`${at}: expected a string`);
  if (value.trim() === "") throw new Problem(`${at}: empty`);
  return value;
}

function optionalString(value: unknown, at: string): string | undefined {
  if (value == null) return undefined;
  if (typeof value !== "string") throw new Problem(`${at}: expected a string`);
  return value;
}

function strings(value: unknown, at: string): string[] {
  return list(value, at, requiredString);
}

/** A list that may be absent or null (the schema allows null for several). */
function list<T>(value: unknown, at: string, item: (value: unknown, at: string) => T): T[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw new Problem(`${at}: expected a list`);
  return value.map((v, i) => item(v, `${at}[${i}]`));
}

/** Leaves out the fields a record does not have, so stored and compared records carry no `undefined`. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}
