/**
 * Go's text/tabwriter (elastic tabstops) as docker/cli's copy of it: cells are terminated by \t,
 * lines by \n; a column is a run of consecutive lines that have that cell, and each column is as wide
 * as its widest cell plus padding (at least minWidth). Widths are display widths (width.ts), as in
 * docker's fork, which measures with go-runewidth. The HTML-filter and escape features are not needed
 * by docker and are left out. docker uses `new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3 })`.
 */
import { stringWidth } from "./width.ts";

export interface TabWriterOptions {
  minWidth: number;
  tabWidth: number;
  padding: number;
  /** Padding character; "\t" pads with tabs (and forces left alignment). Default " ". */
  padChar?: string;
  alignRight?: boolean;
  discardEmptyColumns?: boolean;
  /** Print "|" between columns. */
  debug?: boolean;
}

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

export class TabWriter {
  private readonly o: Required<TabWriterOptions>;
  private out = "";
  private cell = "";
  private lines: Cell[][] = [[]];
  private widths: number[] = [];

  constructor(options: TabWriterOptions) {
    this.o = { padChar: " ", alignRight: false, discardEmptyColumns: false, debug: false, ...options };
    if (this.o.padChar === "\t") this.o.alignRight = false;
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch !== "\t" && ch !== "\v" && ch !== "\n" && ch !== "\f") continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const line = this.lines[this.lines.length - 1]!;
      line.push({ text: this.cell, width: stringWidth(this.cell), htab: ch === "\t" });
      this.cell = "";
      if (ch === "\n" || ch === "\f") {
        this.lines.push([]);
        // A one-cell line ends every column, so what is buffered can be formatted now.
        if (ch === "\f" || line.length === 1) this.flushLines();
      }
    }
    this.cell += text.slice(start);
  }

  /** Formats everything buffered and returns all output produced so far. */
  flush(): string {
    if (this.cell.length > 0) {
      this.lines[this.lines.length - 1]!.push({
        text: this.cell,
        width: stringWidth(this.cell),
        htab: false,
      });
      this.cell = "";
    }
    this.flushLines();
    const out = this.out;
    this.out = "";
    return out;
  }

  private flushLines(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private padding(textWidth: number, cellWidth: number, useTabs: boolean): void {
    if (this.o.padChar === "\t" || useTabs) {
      if (this.o.tabWidth === 0) return;
      const tw = this.o.tabWidth;
      const w = Math.ceil(cellWidth / tw) * tw;
      this.out += "\t".repeat(Math.ceil((w - textWidth) / tw));
      return;
    }
    this.out += this.o.padChar.repeat(Math.max(cellWidth - textWidth, 0));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((c, j) => {
        if (j > 0 && this.o.debug) this.out += "|";
        const w = this.widths[j];
        if (c.text.length === 0) {
          if (w !== undefined) this.padding(c.width, w, false);
        } else if (!this.o.alignRight) {
          this.out += c.text;
          if (w !== undefined) this.padding(c.width, w, false);
        } else {
          if (w !== undefined) this.padding(c.width, w, false);
          this.out += c.text;
        }
      });
      if (i + 1 === this.lines.length) this.out += this.cell;
      else this.out += "\n";
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur]!.length - 1) continue;
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.o.minWidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + this.o.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.o.discardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }
}
