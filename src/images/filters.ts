/**
 * Docker's `--filter name=value` arguments (api/types/filters.Args): a name maps to a set of values;
 * several values of one name are ANDed or ORed as each filter defines. Names are lower-cased and both
 * sides trimmed when the flag is parsed, as docker's FilterOpt does.
 */
import { WharfError } from "../errors.ts";

export type Filters = Map<string, Set<string>>;

export function newFilters(): Filters {
  return new Map();
}

export function addFilter(filters: Filters, name: string, value: string): Filters {
  const values = filters.get(name) ?? new Set<string>();
  values.add(value);
  filters.set(name, values);
  return filters;
}

/** One `--filter` flag value; throws FILTER_INVALID "bad format of filter (expected name=value)". */
export function parseFilterFlag(value: string, filters: Filters = newFilters()): Filters {
  if (value === "") return filters;
  const eq = value.indexOf("=");
  if (eq === -1) {
    throw new WharfError("FILTER_INVALID", "bad format of filter (expected name=value)", { value });
  }
  return addFilter(filters, value.slice(0, eq).trim().toLowerCase(), value.slice(eq + 1).trim());
}

/** docker's invalidFilter message: `invalid filter 'name'` or `invalid filter 'name=[v1 v2]'`. */
export function invalidFilter(name: string, values?: Iterable<string>): WharfError {
  const shown = values === undefined ? name : `${name}=[${[...values].join(" ")}]`;
  return new WharfError("FILTER_INVALID", `invalid filter '${shown}'`, { filter: name });
}

/** Args.Validate: every name must be one the operation accepts. */
export function validateFilters(filters: Filters, accepted: readonly string[]): void {
  for (const name of filters.keys()) if (!accepted.includes(name)) throw invalidFilter(name);
}

/** Args.GetBoolOrDefault: "true"/"1" or "false"/"0"; anything else (or both) is an invalid filter. */
export function getBoolOrDefault(filters: Filters, name: string, fallback: boolean): boolean {
  const values = filters.get(name);
  if (values === undefined) return fallback;
  if (values.size === 0) throw invalidFilter(name);
  const isFalse = values.has("0") || values.has("false");
  const isTrue = values.has("1") || values.has("true");
  if (isFalse === isTrue) throw invalidFilter(name, values);
  return isTrue;
}

/** Args.MatchKVList: every `key` or `key=value` of the filter must be among `labels`. */
export function matchKVList(
  filters: Filters,
  name: string,
  labels: Readonly<Record<string, string>> | null | undefined,
): boolean {
  const values = filters.get(name);
  if (values === undefined || values.size === 0) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  for (const value of values) {
    const eq = value.indexOf("=");
    const key = eq === -1 ? value : value.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    if (eq !== -1 && labels[key] !== value.slice(eq + 1)) return false;
  }
  return true;
}
