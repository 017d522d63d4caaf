/**
 * Docker's progress display (docker/cli jsonmessage): on a terminal each layer keeps one line,
 * redrawn in place with cursor movements; otherwise every status change is one plain line and
 * byte counts are not printed at all.
 */
import { progressText } from "../format/progress-text.ts";

export { progressText };

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const ESC = "\x1b";

export class ProgressPrinter {
  readonly #out: ProgressOutput;
  readonly #tty: boolean;
  /** Layer ids in the order their lines were opened (terminal mode). */
  readonly #lines: string[] = [];

  constructor(out: ProgressOutput) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** A line that is not a layer's (e.g. "Digest: ..."). */
  line(text: string): void {
    this.#out.write(`${text}\n`);
  }

  layer(id: string, status: string, current?: number, total?: number): void {
    const hasProgress = current !== undefined;
    if (!this.#tty) {
      if (!hasProgress) this.#out.write(`${id}: ${status}\n`);
      return;
    }
    let index = this.#lines.indexOf(id);
    if (index === -1) {
      this.#lines.push(id);
      index = this.#lines.length - 1;
      this.#out.write("\n");
    }
    const up = this.#lines.length - index;
    const progress = hasProgress ? progressText(current, total, this.#out.columns ?? 0) : "";
    this.#out.write(`${ESC}[${up}A${ESC}[2K\r${id}: ${status} ${progress}\r${ESC}[${up}B`);
  }
}
