/**
 * BuildKit's live progress on a terminal (`--progress tty`, and `auto` when stderr is one): the
 * vertices' state from BuildEvents, redrawn in place on a ticker (the cursor moved up over the last
 * frame, each line cleared as it is rewritten). finish() draws the last frame, every vertex and no
 * logs, then the output of failed steps as BuildKit's printErrorLogs does; nothing is written after.
 */
import { TextDecoder } from "node:util";
import type { BuildEvent } from "../../build/engine/request.ts";
import { type FrameJob, renderFrame } from "./build-progress-frame.ts";

export interface TtyOutput {
  write(s: string): unknown;
  columns?: number;
  /** The terminal's height: long builds keep the running vertices on screen (a TTY stream has it). */
  rows?: number;
}

export interface TtyProgressOptions {
  /** Milliseconds, for every time shown (performance.now by default). */
  now?: () => number;
  /** Milliseconds between redraws (BuildKit redraws at most every 100 ms). */
  interval?: number;
  /** ANSI colours (blue done, red error, dim logs); off by default when NO_COLOR is set. */
  color?: boolean;
}

interface Status {
  name: string;
  started: number;
  stopped?: number;
}

interface Vertex {
  name: string;
  started: number;
  stopped?: number;
  /** As the engine measured it (done and error events carry it). */
  seconds?: number;
  cached: boolean;
  error: boolean;
  statuses: Status[];
  /** The screen's last lines of output; the last one is still being written to. */
  tail: string[];
  /** Where the next output goes in the tail's last line (a carriage return sends it back to 0). */
  column: number;
  logBytes: number;
  /** Every output line timed from the vertex's start, kept while it runs for the error report. */
  history: string[];
  partial: { stamp: string; text: string } | undefined;
  /** Streaming, so a character split between two chunks of output comes out whole. */
  decoder: TextDecoder;
}

const LOG_LINES = 6;
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const DONE_LINE = /^DONE (\d+(?:\.\d+)?)s$/;

export class TtyBuildProgress {
  readonly #out: TtyOutput;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #color: boolean;
  readonly #vertices = new Map<number, Vertex>();
  readonly #warnings: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #firstStart: number | undefined;
  /** Lines of the frame on screen, which the next one overwrites. */
  #drawn = 0;
  #changed = false;
  #finished = false;

  constructor(out: TtyOutput, options: TtyProgressOptions = {}) {
    this.#out = out;
    this.#now = options.now ?? (() => performance.now());
    this.#interval = options.interval ?? 100;
    this.#color = options.color ?? !process.env.NO_COLOR;
  }

  handle(event: BuildEvent): void {
    if (this.#finished) return;
    if (event.type === "warning") {
      this.#warnings.push(event.message);
      return;
    }
    if (event.type === "vertex") {
      this.#start(event.id, event.name);
      return;
    }
    const vertex = this.#vertices.get(event.id);
    if (!vertex) return;
    this.#changed = true;
    switch (event.type) {
      case "log":
        this.#log(vertex, vertex.decoder.decode(event.data, { stream: true }));
        return;
      case "cached":
        vertex.cached = true;
        this.#stop(vertex, 0);
        return;
      case "done":
        this.#stop(vertex, event.seconds);
        return;
      case "error":
        vertex.error = true;
        this.#stop(vertex, event.seconds);
        return;
    }
  }

  /**
   * A vertex the CLI itself runs (exporting): its first line is its name, `DONE 0.1s` ends it, and
   * the lines between are its statuses (` => => writing image ...`), `... done` completing one.
   */
  line(id: number, text: string): void {
    if (this.#finished) return;
    const vertex = this.#vertices.get(id);
    if (!vertex) {
      this.#start(id, text);
      return;
    }
    this.#changed = true;
    const now = this.#now();
    const done = DONE_LINE.exec(text);
    if (done) {
      this.#stop(vertex, Number(done[1]));
      return;
    }
    const completes = text.endsWith(" done");
    const name = completes ? text.slice(0, -" done".length) : text;
    // The exporter says one thing at a time: a new status ends the one before it.
    for (const status of vertex.statuses) if (status.name !== name) status.stopped ??= now;
    let status = vertex.statuses.find((s) => s.name === name && s.stopped === undefined);
    if (!status) {
      status = { name, started: now };
      vertex.statuses.push(status);
    }
    if (completes) status.stopped = now;
  }

  /** Draws the final frame and the failed steps' output, and stops redrawing; also for a failed build. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#timer);
    if (this.#vertices.size > 0) this.#draw(true);
    let report = "";
    for (const vertex of this.#vertices.values()) {
      if (!vertex.error) continue;
      report += `------\n > ${vertex.name}:\n${vertex.history.map((line) => `${line}\n`).join("")}------\n`;
    }
    for (const warning of this.#warnings) report += `WARNING: ${warning}\n`;
    if (report) this.#out.write(report);
  }

  #start(id: number, name: string): void {
    const now = this.#now();
    this.#firstStart ??= now;
    this.#vertices.set(id, {
      name,
      started: now,
      cached: false,
      error: false,
      statuses: [],
      tail: [""],
      column: 0,
      logBytes: 0,
      history: [],
      partial: undefined,
      decoder: new TextDecoder(),
    });
    this.#changed = true;
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#tick(), this.#interval);
      this.#timer.unref();
    }
  }

  #stop(vertex: Vertex, seconds: number): void {
    const now = this.#now();
    vertex.stopped ??= now;
    vertex.seconds = seconds;
    for (const status of vertex.statuses) status.stopped ??= now;
    if (vertex.partial) vertex.history.push(`${vertex.partial.stamp} ${vertex.partial.text}`);
    vertex.partial = undefined;
    // Done steps show no output again; only a failed one's is reported.
    vertex.tail = [];
    if (!vertex.error) vertex.history = [];
  }

  #log(vertex: Vertex, text: string): void {
    if (vertex.stopped !== undefined) return;
    vertex.logBytes += text.length;
    const pieces = text.split("\n");
    pieces.forEach((piece, i) => {
      if (i > 0) {
        vertex.history.push(`${vertex.partial?.stamp ?? this.#stamp(vertex)} ${vertex.partial?.text ?? ""}`);
        vertex.partial = undefined;
        vertex.tail.push("");
        vertex.column = 0;
      }
      if (piece === "") return;
      vertex.partial ??= { stamp: this.#stamp(vertex), text: "" };
      vertex.partial.text += piece;
      this.#write(vertex, piece);
    });
    if (vertex.tail.length > LOG_LINES + 1) vertex.tail.splice(0, vertex.tail.length - LOG_LINES - 1);
  }

  /** Output into the tail's last line at the cursor; after a carriage return it writes over the line. */
  #write(vertex: Vertex, piece: string): void {
    let line = vertex.tail.at(-1) ?? "";
    for (const [i, segment] of piece.split("\r").entries()) {
      if (i > 0) vertex.column = 0;
      const text = printable(segment);
      line = line.slice(0, vertex.column) + text + line.slice(vertex.column + text.length);
      vertex.column += text.length;
    }
    vertex.tail[vertex.tail.length - 1] = line;
  }

  /** A log line's time since its vertex started, in BuildKit's precision (3 digits under 10 s). */
  #stamp(vertex: Vertex): string {
    const seconds = (this.#now() - vertex.started) / 1000;
    return seconds.toFixed(seconds < 10 ? 3 : seconds < 100 ? 2 : 1);
  }

  #tick(): void {
    const running = [...this.#vertices.values()].some((v) => v.stopped === undefined);
    if (this.#changed || running) this.#draw(false);
  }

  #draw(final: boolean): void {
    this.#changed = false;
    const now = this.#now();
    const jobs: FrameJob[] = [];
    let completed = 0;
    for (const vertex of this.#vertices.values()) {
      if (vertex.stopped !== undefined) completed++;
      const prefix = `${vertex.cached ? "CACHED " : ""}${vertex.error ? "ERROR " : ""}`;
      jobs.push({
        name: prefix + vertex.name,
        seconds: vertex.cached ? 0 : (vertex.seconds ?? (now - vertex.started) / 1000),
        completed: vertex.stopped !== undefined,
        error: vertex.error,
        // Blank lines take no room, as BuildKit skips a screen's empty rows.
        logs: vertex.tail.filter((line) => line.trim() !== "").slice(-LOG_LINES),
        logBytes: vertex.logBytes,
      });
      for (const status of vertex.statuses) {
        jobs.push({
          name: `=> ${status.name}`,
          seconds: ((status.stopped ?? now) - status.started) / 1000,
          completed: status.stopped !== undefined,
          error: false,
          logs: [],
          logBytes: 0,
        });
      }
    }
    const lines = renderFrame(
      {
        seconds: this.#firstStart === undefined ? 0 : (now - this.#firstStart) / 1000,
        completed,
        total: this.#vertices.size,
        jobs,
      },
      {
        width: this.#out.columns || 80,
        ...(this.#out.rows ? { height: this.#out.rows } : {}),
        final,
        color: this.#color,
      },
    );
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}A\r` : "";
    const body = lines.map((line) => `${line}${CLEAR_LINE}\n`).join("");
    const rest = lines.length < this.#drawn ? CLEAR_BELOW : "";
    this.#out.write(`${HIDE_CURSOR}${up}${body}${rest}${SHOW_CURSOR}`);
    this.#drawn = lines.length;
  }
}

/** Without escape sequences and control characters, tabs expanded to 8-column stops. */
function printable(text: string): string {
  let out = "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is removed
  for (const ch of text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "")) {
    if (ch === "\t") out += " ".repeat(8 - (out.length % 8));
    else if (ch >= " " && ch !== "\x7f") out += ch;
  }
  return out;
}
