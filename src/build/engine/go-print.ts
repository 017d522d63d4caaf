/**
 * The few Go fmt renderings BuildKit's history strings use: %q of a []string (`["a" "b"]`), a
 * time.Duration's String(), and %q of %+v of the HEALTHCHECK config struct.
 */

import type { HealthConfig } from "../../dockerfile/instructions/commands.ts";
import { quote } from "../../util/go-quote.ts";

export function quoteList(items: readonly string[]): string {
  return `[${items.map((s) => quote(s)).join(" ")}]`;
}

/** Go's time.Duration.String() for a count of nanoseconds. */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let n = Math.abs(ns);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6)}ms`;
  let out = "";
  const hours = Math.floor(n / 3.6e12);
  n -= hours * 3.6e12;
  const minutes = Math.floor(n / 6e10);
  n -= minutes * 6e10;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${sign}${out}${trim(n / 1e9)}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(9)));
}

/** fmt.Sprintf("%+v", dockerspec.HealthcheckConfig{...}): `{Test:[CMD curl x] Interval:30s ... Retries:3}`. */
export function formatHealthcheck(h: HealthConfig): string {
  return (
    `{Test:[${h.test.join(" ")}] Interval:${goDuration(h.interval)} Timeout:${goDuration(h.timeout)} ` +
    `StartPeriod:${goDuration(h.startPeriod)} StartInterval:${goDuration(h.startInterval)} Retries:${h.retries}}`
  );
}
