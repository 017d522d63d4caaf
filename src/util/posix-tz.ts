/**
 * The POSIX TZ string at the end of a TZif file ("EST5EDT,M3.2.0,M11.1.0", "<-03>3",
 * "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"): the zone's rule for instants after its last transition.
 * Read as Go's time package reads it (tzset), so that the zone chosen is the one Go would print.
 */

/** A local time type: seconds east of UTC and the abbreviation ("" when the zone names none). */
export interface ZoneType {
  readonly offset: number;
  readonly abbreviation: string;
  readonly isDST: boolean;
}

type DayRule =
  | { kind: "julian"; day: number } // Jn: 1..365, February 29 never counted
  | { kind: "yearDay"; day: number } // n: 0..365, February 29 counted
  | { kind: "monthWeekDay"; month: number; week: number; weekday: number }; // Mm.w.d

interface Rule {
  day: DayRule;
  /** Seconds after local midnight (may be negative or beyond 24 h, RFC 8536). */
  time: number;
}

export interface PosixTz {
  std: ZoneType;
  dst?: { type: ZoneType; start: Rule; end: Rule };
}

/** A cursor over the string; each reader returns undefined when the text does not fit. */
class Reader {
  readonly s: string;
  i = 0;
  constructor(s: string) {
    this.s = s;
  }
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? "";
  }
  digits(): number | undefined {
    const start = this.i;
    while (this.i < this.s.length && this.s[this.i]! >= "0" && this.s[this.i]! <= "9") this.i++;
    return this.i === start ? undefined : Number(this.s.slice(start, this.i));
  }
}

function readName(r: Reader): string | undefined {
  if (r.peek() === "<") {
    const close = r.s.indexOf(">", r.i);
    if (close < 0) return undefined;
    const name = r.s.slice(r.i + 1, close);
    r.i = close + 1;
    return name;
  }
  const start = r.i;
  while (!r.done && !/[0-9,+-]/.test(r.peek())) r.i++;
  return r.i - start < 3 ? undefined : r.s.slice(start, r.i);
}

/** [+-]hh[:mm[:ss]] in seconds; hours up to 167 as RFC 8536 allows for rule times. */
function readSignedTime(r: Reader): number | undefined {
  let sign = 1;
  if (r.peek() === "+" || r.peek() === "-") {
    if (r.peek() === "-") sign = -1;
    r.i++;
  }
  const hours = r.digits();
  if (hours === undefined || hours > 167) return undefined;
  let seconds = hours * 3600;
  for (const unit of [60, 1]) {
    if (r.peek() !== ":") break;
    r.i++;
    const n = r.digits();
    if (n === undefined || n > 59) return undefined;
    seconds += n * unit;
  }
  return sign * seconds;
}

function readRule(r: Reader): Rule | undefined {
  let day: DayRule;
  if (r.peek() === "J") {
    r.i++;
    const n = r.digits();
    if (n === undefined || n < 1 || n > 365) return undefined;
    day = { kind: "julian", day: n };
  } else if (r.peek() === "M") {
    r.i++;
    const month = r.digits();
    if (month === undefined || month < 1 || month > 12 || r.peek() !== ".") return undefined;
    r.i++;
    const week = r.digits();
    if (week === undefined || week < 1 || week > 5 || r.peek() !== ".") return undefined;
    r.i++;
    const weekday = r.digits();
    if (weekday === undefined || weekday > 6) return undefined;
    day = { kind: "monthWeekDay", month, week, weekday };
  } else {
    const n = r.digits();
    if (n === undefined || n > 365) return undefined;
    day = { kind: "yearDay", day: n };
  }
  let time = 2 * 3600;
  if (r.peek() === "/") {
    r.i++;
    const t = readSignedTime(r);
    if (t === undefined) return undefined;
    time = t;
  }
  return { day, time };
}

/** Parses a POSIX TZ string, or undefined when Go would not use it. */
export function parsePosixTz(text: string): PosixTz | undefined {
  const r = new Reader(text);
  const stdName = readName(r);
  if (stdName === undefined) return undefined;
  const stdWest = readSignedTime(r);
  if (stdWest === undefined) return undefined;
  // POSIX offsets count west of UTC; ours count east.
  const std: ZoneType = { offset: -stdWest, abbreviation: stdName, isDST: false };
  if (r.done || r.peek() === ",") return { std };
  const dstName = readName(r);
  if (dstName === undefined) return undefined;
  let dstOffset = std.offset + 3600;
  if (!r.done && r.peek() !== ",") {
    const west = readSignedTime(r);
    if (west === undefined) return undefined;
    dstOffset = -west;
  }
  // Without rules, Go (like glibc) falls back to the US rules.
  const rules = new Reader(r.done ? ",M3.2.0,M11.1.0" : r.s.slice(r.i));
  if (rules.peek() !== ",") return undefined;
  rules.i++;
  const start = readRule(rules);
  if (start === undefined || rules.peek() !== ",") return undefined;
  rules.i++;
  const end = readRule(rules);
  if (end === undefined || !rules.done) return undefined;
  return { std, dst: { type: { offset: dstOffset, abbreviation: dstName, isDST: true }, start, end } };
}

const DAY = 86400;

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!);

/** Days from 1970-01-01 to January 1 of `year` (proleptic Gregorian). */
function daysToYear(year: number): number {
  const y = year - 1;
  const days = (n: number) => n * 365 + Math.floor(n / 4) - Math.floor(n / 100) + Math.floor(n / 400);
  return days(y) - days(1969);
}

/** Zero-based day of the year on which a rule falls in `year`. */
function ruleYearDay(year: number, day: DayRule): number {
  switch (day.kind) {
    case "julian":
      return day.day - 1 + (isLeap(year) && day.day >= 60 ? 1 : 0);
    case "yearDay":
      return day.day;
    case "monthWeekDay": {
      let before = 0;
      for (let m = 1; m < day.month; m++) before += daysInMonth(year, m);
      // 1970-01-01 was a Thursday (weekday 4).
      const firstWeekday = (((daysToYear(year) + before + 4) % 7) + 7) % 7;
      let d = (day.weekday - firstWeekday + 7) % 7;
      // Week 5 means the last such weekday of the month.
      for (let w = 1; w < day.week && d + 7 < daysInMonth(year, day.month); w++) d += 7;
      return before + d;
    }
  }
}

/**
 * The local time type at `unixSeconds` under the rule. As in Go, the year is the instant's UTC
 * year, and each change happens at its local time in the type in force before it.
 */
export function posixTzAt(tz: PosixTz, unixSeconds: number): ZoneType {
  const dst = tz.dst;
  if (dst === undefined) return tz.std;
  const civilYear = new Date(unixSeconds * 1000).getUTCFullYear();
  const yearStart = daysToYear(civilYear) * DAY;
  const start = yearStart + ruleYearDay(civilYear, dst.start.day) * DAY + dst.start.time - tz.std.offset;
  const end = yearStart + ruleYearDay(civilYear, dst.end.day) * DAY + dst.end.time - dst.type.offset;
  if (start <= end) return unixSeconds >= start && unixSeconds < end ? dst.type : tz.std;
  // Southern hemisphere (or negative DST, as Europe/Dublin): DST spans the new year.
  return unixSeconds >= end && unixSeconds < start ? tz.std : dst.type;
}
