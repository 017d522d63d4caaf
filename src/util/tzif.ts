/**
 * TZif files (RFC 9636: versions 1 to 4), the tz database's compiled zones in /usr/share/zoneinfo:
 * transitions, local time types with their abbreviations, and the POSIX TZ footer for instants
 * after the last transition. Zones are looked up as Go's time package does, so that wharf prints the
 * zone Docker prints. Hand-written: Intl has no such abbreviations ("GMT+9", not "JST") and reads
 * Node's own copy of the database, not the system's; npm's one reader of system zone files
 * (`zoneinfo` 0.1.8) is little used, and this with posix-tz.ts is about 300 lines.
 */
import { type PosixTz, parsePosixTz, posixTzAt, type ZoneType } from "./posix-tz.ts";

export type { ZoneType } from "./posix-tz.ts";

export interface TzifZone {
  /** Transition instants (Unix seconds), ascending. */
  readonly transitions: readonly number[];
  /** For each transition, the index of the type it switches to. */
  readonly transitionTypes: readonly number[];
  readonly types: readonly ZoneType[];
  /** The footer rule, when the file has one Go can use. */
  readonly footer: PosixTz | undefined;
}

const HEADER = 44;

interface Counts {
  isut: number;
  isstd: number;
  leap: number;
  time: number;
  type: number;
  char: number;
}

class TzifError extends Error {}

function readHeader(b: Buffer, at: number): { version: number; counts: Counts } {
  if (b.length < at + HEADER || b.toString("latin1", at, at + 4) !== "TZif") {
    throw new TzifError("not a TZif file");
  }
  const v = b[at + 4]!;
  // Version 1 is a NUL byte; later ones are ASCII digits.
  const version = v === 0 ? 1 : v >= 0x32 && v <= 0x39 ? v - 0x30 : 1;
  const n = (i: number) => b.readUInt32BE(at + 20 + 4 * i);
  return {
    version,
    counts: { isut: n(0), isstd: n(1), leap: n(2), time: n(3), type: n(4), char: n(5) },
  };
}

function dataSize(c: Counts, timeSize: number): number {
  return c.time * timeSize + c.time + c.type * 6 + c.char + c.leap * (timeSize + 4) + c.isstd + c.isut;
}

/** Parses a TZif file; throws when it is not one (the caller then falls back as Go does). */
export function parseTzif(b: Buffer): TzifZone {
  let { version, counts } = readHeader(b, 0);
  let at = HEADER;
  let timeSize = 4;
  if (version >= 2) {
    // The 64-bit data after the 32-bit data is the complete one.
    at += dataSize(counts, 4);
    ({ counts } = readHeader(b, at));
    at += HEADER;
    timeSize = 8;
  }
  const end = at + dataSize(counts, timeSize);
  if (b.length < end || counts.type === 0) throw new TzifError("truncated TZif file");
  const transitions: number[] = [];
  for (let i = 0; i < counts.time; i++) {
    const p = at + i * timeSize;
    transitions.push(timeSize === 8 ? Number(b.readBigInt64BE(p)) : b.readInt32BE(p));
  }
  at += counts.time * timeSize;
  const transitionTypes = [...b.subarray(at, at + counts.time)];
  if (transitionTypes.some((t) => t >= counts.type)) throw new TzifError("bad transition type");
  at += counts.time;
  const charsAt = at + counts.type * 6;
  const chars = b.subarray(charsAt, charsAt + counts.char);
  const types: ZoneType[] = [];
  for (let i = 0; i < counts.type; i++) {
    const p = at + i * 6;
    const index = b[p + 5]!;
    if (index >= chars.length) throw new TzifError("bad abbreviation index");
    const nul = chars.indexOf(0, index);
    types.push({
      offset: b.readInt32BE(p),
      isDST: b[p + 4] !== 0,
      abbreviation: chars.toString("latin1", index, nul < 0 ? chars.length : nul),
    });
  }
  let footer: PosixTz | undefined;
  if (version >= 2) {
    const rest = b.toString("latin1", end);
    if (rest.length > 2 && rest[0] === "\n" && rest.endsWith("\n")) {
      footer = parsePosixTz(rest.slice(1, rest.indexOf("\n", 1)));
    }
  }
  return { transitions, transitionTypes, types, footer };
}

/** Go's choice of type for instants before the first transition (time.Location.lookupFirstZone). */
function firstType(z: TzifZone): ZoneType {
  if (!z.transitionTypes.includes(0)) return z.types[0]!;
  const first = z.transitionTypes[0];
  if (first !== undefined && z.types[first]!.isDST) {
    for (let i = first - 1; i >= 0; i--) if (!z.types[i]!.isDST) return z.types[i]!;
  }
  return z.types.find((t) => !t.isDST) ?? z.types[0]!;
}

/** The local time type in force at `unixSeconds`. */
export function tzifZoneAt(z: TzifZone, unixSeconds: number): ZoneType {
  const tx = z.transitions;
  // A file without transitions is one type for all time (Go adds a transition at the dawn of time).
  if (tx.length === 0) return z.footer ? posixTzAt(z.footer, unixSeconds) : z.types[0]!;
  if (unixSeconds < tx[0]!) return firstType(z);
  let lo = 0;
  let hi = tx.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (unixSeconds < tx[mid]!) hi = mid;
    else lo = mid;
  }
  if (lo === tx.length - 1 && z.footer) return posixTzAt(z.footer, unixSeconds);
  return z.types[z.transitionTypes[lo]!]!;
}
