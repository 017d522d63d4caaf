/**
 * Registry error responses as WharfErrors worded like Docker's: distribution's error bodies
 * (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`, shown as
 * "manifest unknown: manifest unknown"), RFC 6750 Bearer errors in `WWW-Authenticate`
 * (insufficient_scope -> "denied: ...", invalid_token -> "unauthorized: ..."), the `{"details": ...}`
 * bodies of token servers, and bare statuses. Follows distribution's registry/client/errors.go.
 */
import { type ErrorCode, WharfError } from "../../errors.ts";
import { findChallenge, parseChallenges } from "./challenge.ts";
import { type HttpHeaders, type HttpResponse, headerValue } from "./transport.ts";

// Read through getBuiltinModule: an ES import of node:http loads its lazy exports (Node's bundled undici).
const { STATUS_CODES } = process.getBuiltinModule("node:http");

export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
}

/** distribution's error codes and the default messages errcode gives them. */
const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  UNAUTHORIZED: "authentication required",
  DENIED: "requested access to the resource is denied",
  TOOMANYREQUESTS: "too many requests",
  UNAVAILABLE: "service unavailable",
  UNKNOWN: "unknown error",
  MANIFEST_UNKNOWN: "manifest unknown",
  BLOB_UNKNOWN: "blob unknown to registry",
  NAME_UNKNOWN: "repository name not known to registry",
  UNSUPPORTED: "The operation is unsupported.",
};

const CODE_TO_WHARF: Readonly<Record<string, ErrorCode>> = {
  UNAUTHORIZED: "REGISTRY_UNAUTHORIZED",
  DENIED: "REGISTRY_DENIED",
  TOOMANYREQUESTS: "REGISTRY_TOOMANYREQUESTS",
  UNAVAILABLE: "REGISTRY_UNAVAILABLE",
  MANIFEST_UNKNOWN: "REGISTRY_NOT_FOUND",
  BLOB_UNKNOWN: "REGISTRY_NOT_FOUND",
  NAME_UNKNOWN: "REGISTRY_NOT_FOUND",
  BLOB_UPLOAD_UNKNOWN: "REGISTRY_NOT_FOUND",
};

/** errcode's ErrorCode.Error(): "MANIFEST_UNKNOWN" -> "manifest unknown". */
function codeText(code: string): string {
  return code.toLowerCase().replaceAll("_", " ");
}

function entryMessage(e: RegistryErrorEntry): string {
  return `${codeText(e.code)}: ${e.message}`;
}

/** What the failed request was about, for bodiless responses (HEAD) and 404s without a body. */
export type Subject = "manifest" | "blob" | "repository" | "token" | "registry";

const BODY_LIMIT = 64 * 1024;

async function readSmallBody(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      chunks.push(buf);
      size += buf.byteLength;
      if (size > BODY_LIMIT) {
        res.body.destroy();
        break;
      }
    }
  } catch {
    // a broken error body is still an error response: use what arrived
  }
  return Buffer.concat(chunks).toString("utf8").slice(0, BODY_LIMIT);
}

/** Parses distribution's `{"errors": [...]}`; undefined if the body is not that. */
export function parseErrorBody(text: string): { errors?: RegistryErrorEntry[]; details?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const obj = parsed as { errors?: unknown; details?: unknown };
  if (typeof obj.details === "string" && obj.details !== "") return { details: obj.details };
  if (!Array.isArray(obj.errors)) return {};
  const errors: RegistryErrorEntry[] = [];
  for (const e of obj.errors) {
    if (typeof e !== "object" || e === null) continue;
    const { code, message, detail } = e as { code?: unknown; message?: unknown; detail?: unknown };
    const c = typeof code === "string" && code !== "" ? code.toUpperCase() : "UNKNOWN";
    const m = typeof message === "string" && message !== "" ? message : (DEFAULT_MESSAGES[c] ?? codeText(c));
    errors.push(detail === undefined ? { code: c, message: m } : { code: c, message: m, detail });
  }
  return errors.length > 0 ? { errors } : {};
}

/** Docker Hub's rate-limit headers, shown with a 429 ("RateLimit-Limit: 100;w=21600, ..."). */
export function rateLimitText(headers: HttpHeaders): string | undefined {
  const parts: string[] = [];
  for (const name of ["RateLimit-Limit", "RateLimit-Remaining"]) {
    const v = headerValue(headers, name);
    if (v !== undefined) parts.push(`${name}: ${v}`);
  }
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/** Go's `%d %s` of a status and http.StatusText: "401 Unauthorized". */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ""}`.trim();
}

/**
 * The WharfError for a non-success response; consumes its body (at most 64 KiB). The first error
 * decides the code and the message; all of them are in `detail.errors`.
 */
export async function responseError(res: HttpResponse, subject: Subject): Promise<WharfError> {
  const text = res.status === 204 ? "" : await readSmallBody(res);
  const parsed = parseErrorBody(text);
  const entries: RegistryErrorEntry[] = [];

  // RFC 6750 error in a Bearer challenge comes first, as distribution's HandleErrorResponse does.
  if (res.status >= 400 && res.status < 500) {
    const bearer = findChallenge(parseChallenges(res.headers["www-authenticate"]), "bearer");
    const oauth = bearer?.params.error;
    const code = oauth === "invalid_token" ? "UNAUTHORIZED" : oauth === "insufficient_scope" ? "DENIED" : "";
    if (code !== "") {
      entries.push({ code, message: bearer?.params.error_description || (DEFAULT_MESSAGES[code] ?? "") });
    }
  }
  if (parsed.details !== undefined) {
    const code = res.status === 401 ? "UNAUTHORIZED" : res.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN";
    entries.push({ code, message: parsed.details });
  }
  entries.push(...(parsed.errors ?? []));

  const host = res.url.host;
  const rateLimit = res.status === 429 ? rateLimitText(res.headers) : undefined;
  const detail: Record<string, unknown> = { status: res.status, host, url: res.url.href };
  if (rateLimit !== undefined) detail.rateLimit = rateLimit;
  const withRate = (m: string) => (rateLimit === undefined ? m : `${m} (${rateLimit})`);

  const first = entries[0];
  if (first !== undefined) {
    detail.errors = entries;
    let code = CODE_TO_WHARF[first.code] ?? "REGISTRY_ERROR";
    if (first.code === "UNKNOWN" && isTransientStatus(res.status)) code = "REGISTRY_UNAVAILABLE";
    if (res.status === 429) code = "REGISTRY_TOOMANYREQUESTS";
    return new WharfError(code, withRate(entryMessage(first)), detail);
  }

  if (text !== "") detail.body = text.slice(0, 1024);
  switch (res.status) {
    case 401:
      return new WharfError("REGISTRY_UNAUTHORIZED", "unauthorized: authentication required", detail);
    case 403:
      return new WharfError("REGISTRY_DENIED", "denied: requested access to the resource is denied", detail);
    case 404: {
      const what = {
        manifest: "manifest unknown",
        blob: "blob unknown: blob unknown to registry",
        repository: "name unknown: repository name not known to registry",
        token: `token endpoint not found: ${res.url.href}`,
        registry: `not found: ${res.url.href}`,
      }[subject];
      return new WharfError("REGISTRY_NOT_FOUND", what, detail);
    }
    case 429:
      return new WharfError(
        "REGISTRY_TOOMANYREQUESTS",
        withRate("toomanyrequests: too many requests"),
        detail,
      );
  }
  const message = `received unexpected HTTP status: ${statusLine(res.status)}`;
  return new WharfError(
    isTransientStatus(res.status)
      ? "REGISTRY_UNAVAILABLE"
      : res.status >= 500
        ? "REGISTRY_ERROR"
        : "REGISTRY_PROTOCOL",
    message,
    detail,
  );
}

/**
 * A 5xx that another attempt in a moment may not meet. Not 507 (Insufficient Storage): a registry
 * whose disk is full stays full for longer than a push retries, so it is reported at once.
 */
function isTransientStatus(status: number): boolean {
  return status >= 500 && status !== 507;
}
