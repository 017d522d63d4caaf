/**
 * Where a transfer's docker-style progress goes: the CLI's ProgressPrinter (cli/progress.ts) and the
 * Engine API's JSON message stream both have this shape, so pull, push and load word their progress
 * once for both.
 */
export interface ProgressSink {
  /** A line that is not a layer's ("Digest: ...", "Status: ..."). */
  line(text: string): void;
  /** A layer's status; `current` (and `total`) while its bytes are counted. */
  layer(id: string, status: string, current?: number, total?: number): void;
  /**
   * A line keyed by an ID that is not a layer's (dockerd's "TAG: Pulling from REPO"). A sink without
   * it prints `ID: TEXT` as a plain line, as `wharf pull` always has.
   */
  keyedLine?(id: string, text: string): void;
}
