/**
 * Errors as the Engine API sends them: docker's `{"message": "..."}` body with the status code
 * moby's errdefs give that kind of failure (router/httpstatus). The docker CLI prints the message
 * after "Error response from daemon: " and treats a 404 as "not found" (which lets `docker inspect`
 * try the next object type).
 */
import type { FastifyReply } from "fastify";
import { type ErrorCode, isWharfError, noSpaceError } from "../errors.ts";

/** A failure of the API itself (a bad version, an unknown route), with its status code. */
export class EngineApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "EngineApiError";
    this.status = status;
  }
}

/** moby's errdefs classes for wharf's codes; any code not here is a server error (500). */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  // errdefs.NotFound
  STORE_IMAGE_UNKNOWN: 404,
  IMAGE_NOT_FOUND: 404,
  REGISTRY_NOT_FOUND: 404,
  MANIFEST_LIST_NOT_FOUND: 404,
  PLATFORM_NO_MATCH: 404,
  BUILD_TARGET_NOT_FOUND: 404,
  // An ID prefix of several images: dockerd answers "No such image" (ErrImageDoesNotExist).
  IMAGE_ID_AMBIGUOUS: 404,
  // errdefs.Conflict
  IMAGE_CONFLICT: 409,
  STORE_LOCKED: 409,
  STORE_INGEST_BUSY: 409,
  // errdefs.Unauthorized / Forbidden
  REGISTRY_UNAUTHORIZED: 401,
  REGISTRY_DENIED: 403,
  // errdefs.Unavailable / Deadline
  REGISTRY_UNAVAILABLE: 503,
  REGISTRY_TOOMANYREQUESTS: 503,
  REGISTRY_TIMEOUT: 504,
  // errdefs.InvalidParameter: what the client sent is wrong
  USAGE: 400,
  FILTER_INVALID: 400,
  PATTERN_INVALID: 400,
  REFERENCE_INVALID_FORMAT: 400,
  REFERENCE_TAG_INVALID: 400,
  REFERENCE_DIGEST_INVALID: 400,
  REFERENCE_NAME_UPPERCASE: 400,
  REFERENCE_NAME_EMPTY: 400,
  REFERENCE_NAME_TOO_LONG: 400,
  REFERENCE_NAME_NOT_CANONICAL: 400,
  REFERENCE_NAME_MISSING_DOMAIN: 400,
  REFERENCE_NAME_IS_ID: 400,
  DIGEST_INVALID_FORMAT: 400,
  DIGEST_INVALID_LENGTH: 400,
  DIGEST_UNSUPPORTED: 400,
  PLATFORM_INVALID: 400,
  PLATFORM_UNKNOWN_OS: 400,
  PLATFORM_UNKNOWN_ARCH: 400,
  IMAGE_TAG_REFUSED: 400,
  TRANSPORT_REFERENCE_INVALID: 400,
  ARCHIVE_INVALID: 400,
  LOGIN_INPUT: 400,
  DOCKERFILE_PARSE: 400,
  DOCKERFILE_EXPANSION: 400,
  DOCKERFILE_INSTRUCTION: 400,
  IGNORE_PATTERN_INVALID: 400,
  IGNORE_FILE_INVALID: 400,
  BUILD_CONTEXT_INVALID: 400,
  BUILD_INVALID: 400,
  BUILD_UNSUPPORTED: 400,
  BUILD_PLATFORM_UNSUPPORTED: 400,
};

export interface EngineErrorAnswer {
  status: number;
  message: string;
}

/** The status and message docker's daemon would answer for this failure. */
export function engineErrorAnswer(err: unknown): EngineErrorAnswer {
  if (err instanceof EngineApiError) return { status: err.status, message: err.message };
  const noSpace = noSpaceError(err);
  if (noSpace) return { status: 500, message: noSpace.message };
  if (isWharfError(err)) return { status: STATUS_OF_CODE[err.code] ?? 500, message: err.message };
  // fastify's own (a body too large, malformed JSON): their status codes are the right ones.
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === "number" && status >= 400 && status < 500) return { status, message };
  return { status: 500, message };
}

/** Sends docker's error body. */
export function sendEngineError(reply: FastifyReply, answer: EngineErrorAnswer): FastifyReply {
  return reply
    .code(answer.status)
    .type("application/json")
    .send(JSON.stringify({ message: answer.message }));
}
