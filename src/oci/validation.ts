/**
 * Shared by the document schemas: JSON decoding and turning zod's findings into one WharfError whose
 * message names the offending field, e.g. `manifest invalid: layers[1].digest: invalid checksum digest format`.
 */
import type { z } from "zod";
import { WharfError } from "../errors.ts";

/** The kind of document being read; it prefixes every message ("manifest invalid: ..."). */
export type DocumentKind = "manifest" | "descriptor" | "image config" | "oci-layout";

export interface DocumentIssue {
  path: string;
  message: string;
}

/** `["layers", 1, "digest"]` -> `layers[1].digest`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isInteger(value)) return "number";
  return typeof value === "number" ? "integer" : typeof value;
}

/** Short, JSON-worded messages for zod's generic issues; schema-specific ones keep their own. */
const messages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "required";
      const integer =
        issue.expected === "int" || (issue.inst as { isInt?: boolean } | undefined)?.isInt === true;
      const expected = integer ? "integer" : issue.expected === "record" ? "object" : issue.expected;
      return `expected ${expected}, got ${jsonType(issue.input)}`;
    }
    case "too_small":
      return issue.origin === "array"
        ? `must have at least ${issue.minimum} ${issue.minimum === 1 ? "entry" : "entries"}`
        : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `must have at most ${issue.maximum} entries`
        : `must be at most ${issue.maximum}`;
    case "invalid_value":
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    default:
      return undefined;
  }
};

export function documentError(kind: DocumentKind, issues: readonly DocumentIssue[]): WharfError {
  const first = issues[0] ?? { path: "", message: "invalid" };
  const where = first.path === "" ? "" : `${first.path}: `;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new WharfError("MANIFEST_INVALID", `${kind} invalid: ${where}${first.message}${more}`, {
    document: kind,
    issues,
  });
}

/** Validates `value`, returning zod's output (unknown keys handled as each schema says) or throwing MANIFEST_INVALID. */
export function checkSchema<T>(schema: z.ZodType<T>, value: unknown, kind: DocumentKind): T {
  const result = schema.safeParse(value, { error: messages });
  if (result.success) return result.data;
  throw documentError(
    kind,
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict JSON decoding as Go's encoding/json does it: UTF-8 only, no byte-order mark, one value. */
export function decodeJson(bytes: Uint8Array, kind: DocumentKind): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw documentError(kind, [{ path: "", message: "not valid UTF-8" }]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw documentError(kind, [{ path: "", message: `not valid JSON (${(err as Error).message})` }]);
  }
}

/** Decodes a JSON object; anything else (array, string, null, ...) is refused. */
export function decodeJsonObject(bytes: Uint8Array, kind: DocumentKind): Record<string, unknown> {
  const value = decodeJson(bytes, kind);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw documentError(kind, [{ path: "", message: `expected a JSON object, got ${jsonType(value)}` }]);
  }
  return value as Record<string, unknown>;
}
