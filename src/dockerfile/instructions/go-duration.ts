/**
 * Go's time.ParseDuration (a TypeScript port), because HEALTHCHECK's --interval and friends take
 * Go durations ("1m30s", "1.5h", "300ms") and fail with Go's messages. The result is in
 * nanoseconds as a number, as Docker's image config stores it; beyond 2^53 ns (104 days) it is
 * rounded, which no health-check interval reaches.
 */
import { instructionError } from "./instruction-error.ts";

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NANOS = (1n << 63n) - 1n;

export function parseGoDuration(text: string): number {
  const invalid = () => instructionError(`time: invalid duration ${goQuoteDuration(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = number?.[1] ?? "";
    const fraction = number?.[2];
    // Go wants digits on at least one side of the point.
    if (whole === "" && (fraction === undefined || fraction === "")) throw invalid();
    s = s.slice(number?.[0].length ?? 0);
    const unitMatch = /^[^\d.]*/.exec(s);
    const unit = unitMatch?.[0] ?? "";
    if (unit === "") throw instructionError(`time: missing unit in duration ${goQuoteDuration(text)}`);
    const scale = UNIT_NANOS[unit];
    if (scale === undefined)
      throw instructionError(
        `time: unknown unit ${goQuoteDuration(unit)} in duration ${goQuoteDuration(text)}`,
      );
    s = s.slice(unit.length);
    let value = BigInt(whole === "" ? "0" : whole) * scale;
    if (fraction !== undefined && fraction !== "")
      value += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += value;
    if (total > MAX_NANOS + (negative ? 1n : 0n)) throw invalid();
  }
  return Number(negative ? -total : total);
}

/** Go's %q for the ASCII text durations are made of (quotes and backslashes escaped). */
function goQuoteDuration(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
