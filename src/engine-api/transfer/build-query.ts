/**
 * POST /build's query parameters as docker clients send them: `t` repeated, booleans as "1"/"true",
 * `buildargs` and `labels` as JSON objects of strings (a null build arg is one the client had no
 * value for: left out, as dockerd leaves it).
 */
import { WharfError } from "../../errors.ts";

export interface BuildQuery {
  dockerfile?: string;
  t?: string | string[];
  buildargs?: string;
  labels?: string;
  target?: string;
  nocache?: string;
  pull?: string;
  q?: string;
  networkmode?: string;
  platform?: string;
}

export function listParam(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== "");
}

export function boolParam(value: string | undefined): boolean {
  return value === "1" || value?.toLowerCase() === "true";
}

export function jsonRecord(text: string | undefined, name: string): Record<string, string | null> {
  if (text === undefined || text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WharfError("USAGE", `invalid ${name}: not JSON: ${text}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WharfError("USAGE", `invalid ${name}: not a JSON object: ${text}`);
  }
  const out: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v !== "string")
      throw new WharfError("USAGE", `invalid ${name}: ${key} is not a string`);
    out[key] = v;
  }
  return out;
}

/** The entries that have a value. */
export function definedValues(args: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) if (value !== null) out[key] = value;
  return out;
}
