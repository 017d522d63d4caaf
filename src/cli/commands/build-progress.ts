/**
 * BuildKit's plain progress (`--progress plain`, and what a pipe gets): `#N NAME`, the step's output
 * as `#N 0.123 line`, then `#N CACHED`, `#N DONE 0.4s` or `#N ERROR: ...`, a blank line between
 * vertices. Output lines are timed from the vertex's start, as BuildKit's printer does.
 */
import type { BuildEvent } from "../../build/engine/request.ts";

export class PlainBuildProgress {
  readonly #out: NodeJS.WritableStream;
  readonly #started = new Map<number, number>();
  readonly #partial = new Map<number, string>();
  #last: number | undefined;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  handle(event: BuildEvent): void {
    switch (event.type) {
      case "vertex":
        this.#started.set(event.id, performance.now());
        this.#write(event.id, `#${event.id} ${event.name}\n`);
        return;
      case "log": {
        const text = (this.#partial.get(event.id) ?? "") + Buffer.from(event.data).toString("utf8");
        const lines = text.split("\n");
        this.#partial.set(event.id, lines.pop() ?? "");
        for (const line of lines) this.#write(event.id, `#${event.id} ${this.#elapsed(event.id)} ${line}\n`);
        return;
      }
      case "cached":
        this.#flush(event.id);
        this.#write(event.id, `#${event.id} CACHED\n`);
        return;
      case "done":
        this.#flush(event.id);
        this.#write(event.id, `#${event.id} DONE ${event.seconds.toFixed(1)}s\n`);
        return;
      case "error":
        this.#flush(event.id);
        this.#write(event.id, `#${event.id} ERROR: ${event.message}\n`);
        return;
      case "warning":
        this.#out.write(`WARNING: ${event.message}\n`);
        return;
    }
  }

  /** Plain lines are final as written: nothing to draw at the end (the TTY renderer's last frame). */
  finish(): void {}

  /** A vertex the CLI itself runs (exporting): its name, status lines and DONE. */
  line(id: number, text: string): void {
    this.#write(id, `#${id} ${text}\n`);
  }

  #elapsed(id: number): string {
    return ((performance.now() - (this.#started.get(id) ?? performance.now())) / 1000).toFixed(3);
  }

  #flush(id: number): void {
    const rest = this.#partial.get(id);
    if (rest) this.#write(id, `#${id} ${this.#elapsed(id)} ${rest}\n`);
    this.#partial.delete(id);
  }

  #write(id: number, text: string): void {
    if (this.#last !== undefined && this.#last !== id) this.#out.write("\n");
    this.#last = id;
    this.#out.write(text);
  }
}
