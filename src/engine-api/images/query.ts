/**
 * Reading an Engine API request's query as moby's httputils does: the first value of a key
 * (Go's Form.Get), BoolValue's truthiness, filters.FromJSON's `filters` parameter, and the API
 * version checks that decide which fields a response carries.
 */
import type { FastifyRequest } from "fastify";
import { addFilter, type Filters, newFilters } from "../../images/filters.ts";
import { EngineApiError } from "../errors.ts";
import { compareApiVersions } from "../server.ts";

/** r.Form.Get(key): the first value of a query key, "" when absent. */
export function queryValue(request: FastifyRequest, key: string): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[key];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

/** httputils.BoolValue: anything but "", "0", "no", "false" or "none" (case-insensitive) is true. */
export function queryBool(request: FastifyRequest, key: string): boolean {
  const value = queryValue(request, key).trim().toLowerCase();
  return !(value === "" || value === "0" || value === "no" || value === "false" || value === "none");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * filters.FromJSON: `{"name":{"value":true}}`, or the legacy `{"name":["value"]}`; "" and "null"
 * are no filters. Anything else is a 400, as moby's invalidFilter is an InvalidParameter.
 */
export function filtersFromJSON(text: string): Filters {
  const filters = newFilters();
  if (text === "") return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EngineApiError(400, `invalid filter: ${text}`);
  }
  if (parsed === null) return filters;
  if (!isRecord(parsed)) throw new EngineApiError(400, `invalid filter: ${text}`);
  for (const [name, values] of Object.entries(parsed)) {
    // Go decodes a JSON null into an empty set of values; the name is still there.
    if (values === null) filters.set(name, new Set());
    else if (Array.isArray(values) && values.every((v) => typeof v === "string")) {
      for (const value of values) addFilter(filters, name, value);
      if (values.length === 0) filters.set(name, new Set());
    } else if (isRecord(values) && Object.values(values).every((v) => typeof v === "boolean")) {
      for (const value of Object.keys(values)) addFilter(filters, name, value);
      if (Object.keys(values).length === 0) filters.set(name, new Set());
    } else throw new EngineApiError(400, `invalid filter: ${text}`);
  }
  return filters;
}

/** versions.LessThan */
export function versionBefore(version: string, other: string): boolean {
  return compareApiVersions(version, other) < 0;
}
