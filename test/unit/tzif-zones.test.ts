/**
 * The TZif reader (src/util/tzif.ts) and the POSIX TZ rules (src/util/posix-tz.ts) against a real
 * peer: glibc's reading of the same files, through coreutils `date` (`%::z %Z`: offset to the second,
 * abbreviation). Every zone of the installed tz database, at instants before its first transition,
 * at both sides of every transition, in January and July across three centuries, and after the last
 * transition (the footer rule) including both sides of each of its changes. Nothing is hard-coded.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs, { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { type LocalTime, localTimeAt, zoneForTZ, zoneTimeAt } from "../../src/util/local-zone.ts";
import { parsePosixTz, posixTzAt } from "../../src/util/posix-tz.ts";
import { parseTzif, type TzifZone } from "../../src/util/tzif.ts";

const ZONEINFO = "/usr/share/zoneinfo";

function isTzif(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString("latin1") === "TZif";
  } finally {
    closeSync(fd);
  }
}

/** Every zone name of the installed database (right/ counts leap seconds, which Go ignores). */
function zoneNames(dir = ZONEINFO, prefix = ""): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const name = prefix + entry;
    const path = join(dir, entry);
    if (name === "right" || name === "posix" || name === "localtime") continue;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) names.push(...zoneNames(path, `${name}/`));
    else if (st && isTzif(path)) names.push(name);
  }
  return names;
}

/** glibc's answer for each instant, as "+hh:mm:ss ABBR" lines. */
function dateSays(tz: string, instants: readonly number[]): string[] {
  const out = execFileSync("date", ["-f", "-", "+%::z %Z"], {
    input: instants.map((t) => `@${t}\n`).join(""),
    env: { TZ: tz, LC_ALL: "C" },
    encoding: "utf8",
  });
  // For a zone whose abbreviation is "-00" (offset unknown), gnulib writes the offset as -00:00:00;
  // it is zero all the same, and Go prints +0000.
  return out
    .split("\n")
    .slice(0, instants.length)
    .map((line) => line.replace(/^-00:00:00 /, "+00:00:00 "));
}

function asDatePrints(t: LocalTime): string {
  const abs = Math.abs(t.offset);
  const two = (n: number) => String(n).padStart(2, "0");
  const hms = `${two(Math.trunc(abs / 3600))}:${two(Math.trunc(abs / 60) % 60)}:${two(abs % 60)}`;
  return `${t.offset < 0 ? "-" : "+"}${hms} ${t.abbreviation}`;
}

const utcSeconds = (y: number, month: number, day: number) => Date.UTC(y, month - 1, day, 12) / 1000;
const YEARS = [1800, 1850, 1890, 1900, 1916, 1930, 1942, 1950, 1960, 1970, 1985, 2000, 2010, 2024];
const LATER_YEARS = [2037, 2038, 2040, 2050, 2075, 2100, 2200];
const FOOTER_YEAR = 2045;

/** Instants where the zone changes between `from` and `to`, found by scanning and bisecting. */
function changes(zone: TzifZone, from: number, to: number, step: number): number[] {
  const key = (t: number) => asDatePrints(zoneTimeAt(zone, t));
  const found: number[] = [];
  let next = key(from);
  for (let t = from; t < to; t += step) {
    const here = next;
    next = key(t + step);
    if (here === next) continue;
    let lo = t;
    let hi = t + step;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (key(mid) === key(lo)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

function instantsFor(zone: TzifZone): number[] {
  const instants = new Set<number>();
  for (const y of [...YEARS, ...LATER_YEARS]) {
    instants.add(utcSeconds(y, 1, 15));
    instants.add(utcSeconds(y, 7, 15));
  }
  const tx = zone.transitions.filter((t) => Math.abs(t) < 2 ** 40);
  if (tx.length > 0) instants.add(tx[0]! - 86400 * 365);
  for (const t of tx) {
    instants.add(t - 1);
    instants.add(t);
  }
  const last = tx.at(-1) ?? Number.NEGATIVE_INFINITY;
  const yearStart = Date.UTC(FOOTER_YEAR, 0, 1) / 1000;
  if (zone.footer?.dst && last < yearStart) {
    // Both sides of each change the footer rule makes, and a sample every 6 hours in between.
    for (const t of changes(zone, yearStart, yearStart + 366 * 86400, 3 * 3600)) {
      instants.add(t - 1);
      instants.add(t);
    }
    for (let t = yearStart; t < yearStart + 365 * 86400; t += 6 * 3600) instants.add(t);
  }
  return [...instants].sort((a, b) => a - b);
}

test("every zone of the tz database, at every transition and after the last, as glibc reads it", () => {
  const names = zoneNames();
  assert.ok(names.length > 300, `only ${names.length} zones under ${ZONEINFO}: is tzdata installed?`);
  const wrong: string[] = [];
  let checked = 0;
  let footerChanges = 0;
  for (const name of names) {
    const zone = parseTzif(readFileSync(join(ZONEINFO, name)));
    const instants = instantsFor(zone);
    const expected = dateSays(name, instants);
    instants.forEach((t, i) => {
      const ours = asDatePrints(zoneTimeAt(zone, t));
      if (ours !== expected[i]) wrong.push(`${name} @${t}: date ${expected[i]}, wharf ${ours}`);
    });
    checked += instants.length;
    if (zone.footer?.dst) footerChanges++;
  }
  assert.deepEqual(wrong.slice(0, 30), [], `${wrong.length} of ${checked} instants differ`);
  assert.ok(footerChanges > 50, `only ${footerChanges} zones with a daylight-saving footer rule`);
});

test("the zones the brief names: Tokyo, London (GMT/BST), New York, Kolkata, Lord Howe, São Paulo", () => {
  const january = utcSeconds(2025, 1, 15);
  const july = utcSeconds(2025, 7, 15);
  const zones = ["Asia/Tokyo", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];
  for (const name of [...zones, "America/Sao_Paulo"]) {
    const zone = zoneForTZ(name);
    const ours = [january, july].map((t) => asDatePrints(zoneTimeAt(zone, t)));
    assert.deepEqual(ours, dateSays(name, [january, july]), name);
  }
  // The abbreviations Intl does not give (it says "GMT+9"), as date gives them.
  assert.deepEqual(
    zones.map((name) => zoneTimeAt(zoneForTZ(name), january).abbreviation),
    zones.map((name) => dateSays(name, [january])[0]!.split(" ")[1]),
  );
});

test("POSIX TZ strings beyond the database's own: J and zero-based days, default rules, times past 24 h", () => {
  const rules = [
    "AAA3BBB,J60/2,J300/2",
    "AAA-5:30BBB,59/0,299/25",
    "<-0130>1:30<+0030>-0:30,M3.5.0/-1,M10.5.0/0",
    "CCC-10DDD-11,M10.1.0/2:30,M4.1.0/3",
    "GGG-1HHH-2,M3.4.4/26,M10.5.0",
  ];
  const start = Date.UTC(FOOTER_YEAR, 1, 1) / 1000;
  // Without rules Go takes the US ones; glibc would read the posixrules file, so it is asked with
  // the US rules spelt out.
  const spelt: Record<string, string> = { EEE5FFF: "EEE5FFF,M3.2.0,M11.1.0" };
  for (const rule of [...rules, "EEE5FFF"]) {
    const tz = parsePosixTz(rule);
    assert.ok(tz, rule);
    const instants: number[] = [];
    for (let t = start; t < start + 300 * 86400; t += 1800) instants.push(t, t + 1799);
    const expected = dateSays(spelt[rule] ?? rule, instants);
    const ours = instants.map((t) => {
      const type = posixTzAt(tz, t);
      return asDatePrints({ offset: type.offset, abbreviation: type.abbreviation });
    });
    const wrong = instants.filter((_, i) => ours[i] !== expected[i]).length;
    assert.equal(
      wrong,
      0,
      `${rule}: ${wrong} instants differ, first: ${ours.find((o, i) => o !== expected[i])}`,
    );
  }
  assert.equal(parsePosixTz("A3"), undefined, "names have at least three letters");
  assert.equal(parsePosixTz("AAA3BBB,M13.1.0,M10.1.0"), undefined);
});

test("the local zone ($TZ) is read when a local time is first needed, and only once", () => {
  const reads: string[] = [];
  const original = fs.readFileSync;
  fs.readFileSync = ((path: fs.PathOrFileDescriptor, options?: never) => {
    reads.push(String(path));
    return original(path, options);
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  try {
    process.env.TZ = ":Asia/Kolkata";
    const times = [utcSeconds(2025, 1, 15), utcSeconds(2025, 7, 15), utcSeconds(1940, 1, 15)];
    const ours = times.map((t) => asDatePrints(localTimeAt(t)));
    assert.deepEqual(reads, ["/usr/share/zoneinfo/Asia/Kolkata"]);
    assert.deepEqual(ours, dateSays("Asia/Kolkata", times));
  } finally {
    fs.readFileSync = original;
    syncBuiltinESMExports();
  }
});
