/**
 * Times as Docker handles them for images: RFC 3339 with nanoseconds (config `created`, Go's
 * RFC3339Nano output), instants compared to the nanosecond, and docker's GetTimestamp for the
 * `until` filter (a Go duration before now, an RFC 3339 date or time, or Unix seconds). Instants are
 * bigint nanoseconds since the Unix epoch.
 */
import { WharfError } from "../errors.ts";
import { localTimeAt } from "../util/local-zone.ts";

export type Instant = bigint;

const NS = 1_000_000_000n;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

interface Parsed {
  instant: Instant;
  /** Minutes east of UTC, as written. */
  offset: number;
}

function daysFromCivil(y: number, m: number, d: number): number {
  // Howard Hinnant's algorithm: days since 1970-01-01 for any proleptic Gregorian date.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Go's time.Parse range checks (a leap second is refused, as Go refuses second 60). */
function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  return d <= days;
}

function instantOf(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ns: number,
  offsetSeconds: number,
) {
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetSeconds;
  return BigInt(seconds) * NS + BigInt(ns);
}

/** Parses an RFC 3339 time (fractions beyond nanoseconds are truncated, as Go does). */
export function parseRFC3339(text: string): Parsed | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (!validFields(y, mo, d, h, mi, s)) return undefined;
  const ns = m[7] ? Number(m[7].padEnd(9, "0")) : 0;
  const offset = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  return { instant: instantOf(y, mo, d, h, mi, s, ns, offset * 60), offset };
}

/** Go's Time.Unix(): seconds, rounded towards negative infinity. */
export function unixSeconds(instant: Instant): number {
  const s = instant / NS;
  return Number(instant < 0n && s * NS !== instant ? s - 1n : s);
}

const two = (n: number) => String(n).padStart(2, "0");

/** Go's "Z07:00": Z for UTC, else the offset in whole minutes (Go drops an LMT's seconds). */
function zone(offsetSeconds: number): string {
  if (offsetSeconds === 0) return "Z";
  const minutes = Math.trunc(offsetSeconds / 60);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${two(Math.trunc(abs / 60))}:${two(abs % 60)}`;
}

function fields(instant: Instant, offsetSeconds: number) {
  const local = instant + BigInt(offsetSeconds) * NS;
  let secs = local / NS;
  let ns = local % NS;
  if (ns < 0n) {
    ns += NS;
    secs -= 1n;
  }
  const total = Number(secs);
  const days = Math.floor(total / 86400);
  const rem = total - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  return {
    y,
    mo,
    d,
    h: Math.floor(rem / 3600),
    mi: Math.floor((rem % 3600) / 60),
    s: rem % 60,
    ns: Number(ns),
  };
}

function formatNano(ns: number): string {
  if (ns === 0) return "";
  return `.${String(ns).padStart(9, "0").replace(/0+$/, "")}`;
}

/** Go's time.RFC3339Nano layout ("2006-01-02T15:04:05.999999999Z07:00") at the given offset. */
export function formatRFC3339Nano(instant: Instant, offset = 0): string {
  const f = fields(instant, offset * 60);
  return `${String(f.y).padStart(4, "0")}-${two(f.mo)}-${two(f.d)}T${two(f.h)}:${two(f.mi)}:${two(f.s)}${formatNano(f.ns)}${zone(offset * 60)}`;
}

/** A config's `created` as Docker prints it: parsed, then formatted with RFC3339Nano in its own offset. */
export function normaliseRFC3339(text: string): string {
  const p = parseRFC3339(text);
  return p ? formatRFC3339Nano(p.instant, p.offset) : text;
}

/** Go's time.Local's offset in seconds east of UTC at an instant (the tz database, as Go reads it). */
function localOffsetSeconds(instant: Instant): number {
  return localTimeAt(unixSeconds(instant)).offset;
}

/** The local zone's offset in minutes east of UTC at an instant. */
export function localOffset(instant: Instant): number {
  return Math.trunc(localOffsetSeconds(instant) / 60);
}

/** time.Unix(s, 0).Format(time.RFC3339) in the local zone (docker history's CreatedAt). */
export function formatRFC3339Local(unix: number): string {
  const instant = BigInt(unix) * NS;
  const offset = localOffsetSeconds(instant);
  const f = fields(instant, offset);
  return `${String(f.y).padStart(4, "0")}-${two(f.mo)}-${two(f.d)}T${two(f.h)}:${two(f.mi)}:${two(f.s)}${zone(offset)}`;
}

/** Go's Time.String() for a UTC instant: "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function goTimeStringUTC(instant: Instant): string {
  const f = fields(instant, 0);
  return `${String(f.y).padStart(4, "0")}-${two(f.mo)}-${two(f.d)} ${two(f.h)}:${two(f.mi)}:${two(f.s)}${formatNano(f.ns)} +0000 UTC`;
}

/** Go's zero time.Time as an instant (0001-01-01T00:00:00Z). */
export const GO_ZERO_TIME: Instant = instantOf(1, 1, 1, 0, 0, 0, 0, 0);

export function nowInstant(): Instant {
  return BigInt(Date.now()) * 1_000_000n;
}

// ---------------------------------------------------------------------------------------------
// Go's time.ParseDuration

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration in nanoseconds, or undefined when `text` is not a duration. */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let sign = 1n;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1n;
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === "" && (m[2] === undefined || m[2] === ""))) return undefined;
    const unit = UNITS[m[3]!]!;
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * unit;
    s = s.slice(m[0].length);
  }
  return sign * BigInt(Math.round(total));
}

// ---------------------------------------------------------------------------------------------
// docker's api/types/time GetTimestamp + ParseTimestamps

const LOCAL_LAYOUTS: readonly [RegExp, number][] = [
  [/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,9})$/, 7],
  [/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/, 6],
  [/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/, 5],
  [/^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/, 4],
  [/^(\d{4})-(\d{2})-(\d{2})$/, 3],
];

function parseLocalLayout(value: string, reference: Instant): Instant | undefined {
  for (const [re] of LOCAL_LAYOUTS) {
    const m = re.exec(value);
    if (!m) continue;
    const n = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
    const ns = m[7] ? Number(m[7].padEnd(9, "0")) : 0;
    if (!validFields(n[0]!, n[1]!, n[2]!, n[3] ?? 0, n[4] ?? 0, n[5] ?? 0)) return undefined;
    // ParseInLocation with the reference time's fixed zone.
    const offset = localOffsetSeconds(reference);
    return instantOf(n[0]!, n[1]!, n[2]!, n[3] ?? 0, n[4] ?? 0, n[5] ?? 0, ns, offset);
  }
  return undefined;
}

function parseZonedLayout(value: string): Instant | undefined {
  const full = parseRFC3339(value);
  if (full) return full.instant;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(value);
  if (!m) return undefined;
  const offset = m[6] ? 0 : (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 3600 + Number(m[9]) * 60);
  if (!validFields(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), 0)) {
    return undefined;
  }
  return instantOf(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    0,
    0,
    offset,
  );
}

/**
 * docker's GetTimestamp followed by ParseTimestamps: a Go duration counts back from `reference`;
 * otherwise an RFC 3339 date or time (in the local zone unless it names one), or Unix seconds with
 * an optional fraction. Throws FILTER_INVALID with docker's messages.
 */
export function parseTimestamp(value: string, reference: Instant = nowInstant()): Instant {
  const duration = value !== "0" ? parseGoDuration(value) : undefined;
  if (duration !== undefined) {
    // GetTimestamp keeps whole seconds of reference-d.
    return BigInt(unixSeconds(reference - duration)) * NS;
  }
  const inLocation = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  const parsed = inLocation ? parseLocalLayout(value, reference) : parseZonedLayout(value);
  if (parsed !== undefined) return parsed;
  if (value.includes("-")) {
    throw new WharfError("FILTER_INVALID", `parsing time ${JSON.stringify(value)}: cannot parse`, { value });
  }
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) {
    throw new WharfError(
      "FILTER_INVALID",
      `failed to parse value as time or duration: ${JSON.stringify(value)}`,
      { value },
    );
  }
  const frac = m[2] ?? "";
  const nanos = frac === "" ? 0n : BigInt(Math.trunc(Number(frac) * 10 ** (9 - frac.length)));
  return BigInt(m[1]!) * NS + nanos;
}
