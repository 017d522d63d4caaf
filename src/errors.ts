/**
 * Every failure wharf reports is a WharfError with a stable code. The CLI maps codes to one line of
 * text and Docker's exit codes; library users switch on `code`.
 */
export type ErrorCode =
  // digests
  | "DIGEST_INVALID_FORMAT"
  | "DIGEST_INVALID_LENGTH"
  | "DIGEST_UNSUPPORTED"
  | "DIGEST_MISMATCH"
  | "SIZE_MISMATCH"
  // references
  | "REFERENCE_INVALID_FORMAT"
  | "REFERENCE_TAG_INVALID"
  | "REFERENCE_DIGEST_INVALID"
  | "REFERENCE_NAME_UPPERCASE"
  | "REFERENCE_NAME_EMPTY"
  | "REFERENCE_NAME_TOO_LONG"
  | "REFERENCE_NAME_NOT_CANONICAL"
  | "REFERENCE_NAME_MISSING_DOMAIN"
  | "REFERENCE_NAME_IS_ID"
  | "PATTERN_INVALID"
  // platforms
  | "PLATFORM_INVALID"
  | "PLATFORM_UNKNOWN_OS"
  | "PLATFORM_UNKNOWN_ARCH"
  | "PLATFORM_NO_MATCH"
  // documents
  | "MANIFEST_INVALID"
  | "MANIFEST_UNSUPPORTED"
  | "MANIFEST_SCHEMA1"
  | "MEDIATYPE_UNKNOWN"
  // store
  | "STORE_BLOB_UNKNOWN"
  | "STORE_IMAGE_UNKNOWN"
  | "STORE_CORRUPT"
  | "STORE_LOCKED"
  | "STORE_INGEST_BUSY"
  | "NO_SPACE"
  // registry client
  | "REGISTRY_UNAUTHORIZED"
  | "REGISTRY_DENIED"
  | "REGISTRY_NOT_FOUND"
  | "REGISTRY_TOOMANYREQUESTS"
  | "REGISTRY_UNAVAILABLE"
  | "REGISTRY_PROTOCOL"
  | "REGISTRY_ERROR"
  | "REGISTRY_TIMEOUT"
  | "REGISTRY_INSECURE_REFUSED"
  | "REGISTRY_MANIFEST_TOO_LARGE"
  | "REGISTRY_TLS"
  | "REGISTRY_CONFIG_INVALID"
  | "CREDENTIALS_HELPER"
  | "LOGIN_INPUT"
  | "CREDENTIALS_CONFIG_INVALID"
  // format (Go templates for --format)
  | "TEMPLATE_PARSE"
  | "TEMPLATE_EXEC"
  // layers
  | "LAYER_INVALID"
  | "LAYER_DIFFID_MISMATCH"
  /** A layer tar that would reach outside its directory (an escaping name, a symlink in a path). */
  | "LAYER_UNSAFE"
  // local images (src/images)
  | "IMAGE_NOT_FOUND"
  | "IMAGE_ID_AMBIGUOUS"
  | "IMAGE_CONFLICT"
  | "IMAGE_TAG_REFUSED"
  | "FILTER_INVALID"
  // moving images (src/transport): copy, push, save, load
  | "COPY_UNSUPPORTED"
  | "TRANSPORT_REFERENCE_INVALID"
  | "ARCHIVE_INVALID"
  | "OCI_LAYOUT_INVALID"
  | "MANIFEST_LIST_NOT_FOUND"
  | "MANIFEST_LIST_INVALID"
  | "OUTPUT_PATH_INVALID"
  | "TERMINAL_REFUSED"
  // registry server (wharf serve)
  | "STORAGE_PATH_NOT_FOUND"
  | "SERVER_CONFIG_INVALID"
  // Dockerfiles (src/dockerfile)
  | "DOCKERFILE_PARSE"
  | "DOCKERFILE_EXPANSION"
  | "DOCKERFILE_INSTRUCTION"
  // build context (src/build/context: .dockerignore, context walks)
  | "IGNORE_PATTERN_INVALID"
  | "IGNORE_FILE_INVALID"
  | "BUILD_CONTEXT_INVALID"
  // RUN steps (src/build/run: overlayfs, runc)
  | "RUNTIME_MISSING"
  | "RUNTIME_FAILED"
  | "MOUNT_FAILED"
  | "RUN_USER_UNKNOWN"
  | "RUN_MOUNT_INVALID"
  // COPY and ADD (src/build/copy)
  | "BUILD_SOURCE_NOT_FOUND"
  | "BUILD_COPY_INVALID"
  | "BUILD_FETCH_FAILED"
  // the build engine (src/build/engine)
  | "BUILD_INVALID"
  | "BUILD_TARGET_NOT_FOUND"
  | "BUILD_FRONTEND_UNSUPPORTED"
  | "BUILD_BASE_INVALID"
  | "BUILD_RUN_FAILED"
  | "BUILD_SECRET_MISSING"
  | "BUILD_UNSUPPORTED"
  | "BUILD_PLATFORM_UNSUPPORTED"
  /** `# check=error=true` and a build check fired. */
  | "BUILD_LINT_FAILED"
  /** A --cache-from export that is malformed or does not match its blobs (build cache transfer). */
  | "BUILD_CACHE_INVALID"
  // scan (vulnerabilities, SBOMs)
  /** A version string an ecosystem's ordering cannot read. */
  | "VERSION_INVALID"
  /** No vulnerability database in the wharf root yet (`wharf scan db import`). */
  | "SCAN_DB_MISSING"
  /** The vulnerability database file is unreadable or of an unknown schema. */
  | "SCAN_DB_CORRUPT"
  /** An OSV file, folder or zip given to `scan db import` that is not OSV JSON. */
  | "SCAN_IMPORT_INVALID"
  /** A package database inside an image (apk, dpkg, rpm, package.json, METADATA) that cannot be read. */
  | "SCAN_PACKAGE_DB_INVALID"
  /** A binary or archive inside an image (ELF, jar) that is malformed where the scanner reads it. */
  | "SCAN_BINARY_INVALID"
  /** An OpenVEX document given to `wharf scan --vex` that cannot be read. */
  | "SCAN_VEX_INVALID"
  // cli
  | "USAGE";

export class WharfError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable facts (the offending part, the expected value, ...). */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    detail: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WharfError";
    this.code = code;
    this.detail = detail;
  }
}

export function isWharfError(err: unknown, code?: ErrorCode): err is WharfError {
  return err instanceof WharfError && (code === undefined || err.code === code);
}

/**
 * A full disk or an exhausted quota, whether node reports it (ENOSPC, EDQUOT) or SQLite does
 * (SQLITE_FULL, "database or disk is full"), as one NO_SPACE error worded as docker words it:
 * `no space left on device: write PATH`. Anything else: undefined.
 */
export function noSpaceError(err: unknown, path?: string): WharfError | undefined {
  if (isWharfError(err, "NO_SPACE")) return err;
  const e = err as
    | { code?: unknown; errcode?: unknown; syscall?: unknown; path?: unknown; dest?: unknown }
    | undefined;
  const sqliteFull = typeof e?.errcode === "number" && (e.errcode & 0xff) === 13;
  if (e?.code !== "ENOSPC" && e?.code !== "EDQUOT" && !sqliteFull) return undefined;
  // copyfile names its source in `path` and the file that could not be written in `dest`.
  const where = typeof e.dest === "string" ? e.dest : typeof e.path === "string" ? e.path : path;
  const syscall = typeof e.syscall === "string" ? e.syscall : "write";
  const quota = e.code === "EDQUOT" ? " (disk quota exceeded)" : "";
  const message = `no space left on device${quota}${where === undefined ? "" : `: ${syscall} ${where}`}`;
  return new WharfError("NO_SPACE", message, where === undefined ? {} : { path: where }, { cause: err });
}

/** An error's message (or the thrown value as text), for one-line reports. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
