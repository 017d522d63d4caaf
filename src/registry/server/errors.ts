/**
 * The distribution API's errors: the spec's codes, each with its HTTP status, answered as
 * `{"errors":[{"code","message","detail"}]}` (OCI distribution-spec, "Error Codes").
 */
export const DISTRIBUTION_ERRORS = {
  BLOB_UNKNOWN: [404, "blob unknown to registry"],
  BLOB_UPLOAD_INVALID: [400, "blob upload invalid"],
  BLOB_UPLOAD_UNKNOWN: [404, "blob upload unknown to registry"],
  DIGEST_INVALID: [400, "provided digest did not match uploaded content"],
  MANIFEST_BLOB_UNKNOWN: [400, "manifest references a manifest or blob unknown to registry"],
  MANIFEST_INVALID: [400, "manifest invalid"],
  MANIFEST_UNKNOWN: [404, "manifest unknown"],
  NAME_INVALID: [400, "invalid repository name"],
  NAME_UNKNOWN: [404, "repository name not known to registry"],
  SIZE_INVALID: [400, "provided length did not match content length"],
  UNAUTHORIZED: [401, "authentication required"],
  DENIED: [403, "requested access to the resource is denied"],
  UNSUPPORTED: [405, "the operation is unsupported"],
  TOOMANYREQUESTS: [429, "too many requests"],
  /** Not in the spec's table; distribution answers it for internal failures. */
  UNKNOWN: [500, "unknown error"],
} as const satisfies Record<string, readonly [number, string]>;

export type DistributionErrorCode = keyof typeof DISTRIBUTION_ERRORS;

export class DistributionError extends Error {
  readonly code: DistributionErrorCode;
  readonly status: number;
  readonly detail: unknown;

  /** `status` overrides the code's usual one (416 for an out-of-order chunk, 413 for a huge manifest). */
  constructor(code: DistributionErrorCode, message?: string, detail?: unknown, status?: number) {
    const [usual, text] = DISTRIBUTION_ERRORS[code];
    super(message ?? text);
    this.name = "DistributionError";
    this.code = code;
    this.status = status ?? usual;
    this.detail = detail;
  }

  body(): string {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.detail !== undefined) error.detail = this.detail;
    return JSON.stringify({ errors: [error] });
  }
}
