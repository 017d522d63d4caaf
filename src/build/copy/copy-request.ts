/** What a COPY or ADD step asks for, as the engine hands it over (after variable expansion). */

export interface CopySource {
  /** Root the source paths are relative to (context dir or another stage's merged root). */
  root: string;
  /** For the context: the dockerignore patterns (already read) to apply; undefined for stage roots. */
  excludes?: readonly string[];
  /**
   * "context": entries are owned by 0:0 in the result, as BuildKit's file sync sends them;
   * "stage": another stage's or image's root, whose owners are kept (COPY --from keeps them).
   * Default: "context" when `excludes` is given, else "stage".
   */
  kind?: "context" | "stage";
  /**
   * The context's paths that `excludes` keep, when the caller listed them already (once per build:
   * every COPY of the context reads the same list instead of walking the context again).
   */
  kept?: Promise<ReadonlySet<string>>;
}

export interface InlineFile {
  /** The heredoc's name, which becomes the file's name. */
  path: string;
  data: string;
}

export interface CopyRequest {
  source: CopySource;
  /** Source paths as written in the Dockerfile (after variable expansion), wildcards allowed. */
  sourcePaths: readonly string[];
  /** Heredoc sources, written as files (mode 0644 before --chmod). */
  inlineFiles?: readonly InlineFile[];
  /** Destination as written; relative -> against workdir. Trailing "/" -> a directory. */
  dest: string;
  /** The stage's working directory (absolute). */
  workdir: string;
  /** The destination root (the merged overlay mount). */
  destRoot: string;
  /** "user", "uid", "user:group", "uid:gid"; names from destRoot's /etc/passwd and /etc/group. */
  chown?: string;
  /** Octal ("0755") or symbolic ("u+x,g-w"). */
  chmod?: string;
  /** COPY --exclude patterns, matched against paths below each source. */
  excludePatterns?: readonly string[];
  /** COPY --parents. */
  parents?: boolean;
  /** ADD: unpack local tar archives (gzip/bzip2/xz/zstd/none, detected by content) into dest. */
  unpackArchives?: boolean;
  /** Seconds since the epoch: the mtime of what the step creates itself (heredoc files, parent directories). */
  sourceDateEpoch?: number;
  /** For error messages only (default "COPY"). */
  instruction?: "COPY" | "ADD";
  /**
   * A wildcard source that matches nothing copies nothing (BuildKit's AllowEmptyWildcard, the
   * default); false makes it BUILD_SOURCE_NOT_FOUND like a missing plain path.
   */
  allowEmptyWildcard?: boolean;
}

export interface CopyResult {
  /** Entries other than directories written (files, links, devices, unpacked entries). */
  files: number;
  /** Bytes of regular-file content written. */
  bytes: number;
}
