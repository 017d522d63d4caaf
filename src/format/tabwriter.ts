/**
 * Go's text/tabwriter (elastic tabstops) as docker/cli's copy of it: cells are terminated by \t,
 * lines by \n; a column is a run of consecutive lines that have that cell, and each column is as wide
 * as its widest cell plus padding (at least minWidth). Widths are display widths (width.ts), as in
 * docker's fork, which measures with go-runewidth. The HTML-filter and escape features are not needed
 * by docker and are left out. docker uses `new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3 })`.
 *
 * The buffered cells are kept in flat arrays (no object per cell or per line): `docker images` with
 * a thousand images formats some six thousand cells, once, in a process that has just started.
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

/** Any of the characters that end a cell. */
const TERMINATORS = /[\t\v\n\f]/;
/** Anything but printable ASCII, tabs and newlines: text without it has cells one column a character. */
const NOT_PLAIN = /[^\x20-\x7e\t\n]/;

export class TabWriter {
  private readonly o: Required<TabWriterOptions>;
  private out = "";
  /** The cell being written (not terminated yet). */
  private cell = "";
  /** Terminated cells of the buffered lines, in order: text, display width, ended by a tab. */
  private texts: string[] = [];
  private cellWidths: number[] = [];
  private htabs: boolean[] = [];
  /** Index of each buffered line's first cell; the last line is the one being written. */
  private lineStarts: number[] = [0];
  /** Widths of the enclosing columns while formatting. */
  private widths: number[] = [];
  /** Padding strings by length (a table pads most cells to a handful of widths). */
  private readonly pads: string[] = [];

  constructor(options: TabWriterOptions) {
    this.o = { padChar: " ", alignRight: false, discardEmptyColumns: false, debug: false, ...options };
    if (this.o.padChar === "\t") this.o.alignRight = false;
  }

  write(text: string): void {
    if (!TERMINATORS.test(text)) {
      this.cell += text;
      return;
    }
    if (text.includes("\v") || text.includes("\f")) {
      this.writeAny(text);
      return;
    }
    // Only tabs and newlines (the usual case): let split find them, and one test tell whether every
    // character is one column wide.
    const plain = !NOT_PLAIN.test(text);
    const lines = text.split("\n");
    const last = lines.length - 1;
    for (let l = 0; l <= last; l++) {
      const cells = lines[l]!.split("\t");
      const end = cells.length - 1;
      for (let c = 0; c < end; c++) this.terminateCell(cells[c]!, true, plain);
      if (l < last) {
        this.terminateCell(cells[end]!, false, plain);
        this.endLine(false);
      } else {
        this.cell += cells[end]!;
      }
    }
  }

  /** Any terminators, \v and \f included, one character at a time. */
  private writeAny(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch !== "\t" && ch !== "\v" && ch !== "\n" && ch !== "\f") continue;
      this.terminateCell(text.slice(start, i), ch === "\t", false);
      start = i + 1;
      if (ch === "\n" || ch === "\f") this.endLine(ch === "\f");
    }
    this.cell += text.slice(start);
  }

  /** Ends the current cell with `tail` as the last of its text (`plain`: tail is printable ASCII). */
  private terminateCell(tail: string, htab: boolean, plain: boolean): void {
    const whole = this.cell.length === 0;
    const text = whole ? tail : this.cell + tail;
    this.cell = "";
    this.texts.push(text);
    this.cellWidths.push(whole && plain ? text.length : stringWidth(text));
    this.htabs.push(htab);
  }

  private endLine(formFeed: boolean): void {
    const starts = this.lineStarts;
    const cells = this.texts.length - starts[starts.length - 1]!;
    starts.push(this.texts.length);
    // A one-cell line ends every column, so what is buffered can be formatted now.
    if (formFeed || cells === 1) this.flushLines();
  }

  /** Formats everything buffered and returns all output produced so far. */
  flush(): string {
    if (this.cell.length > 0) {
      const text = this.cell;
      this.cell = "";
      this.texts.push(text);
      this.cellWidths.push(stringWidth(text));
      this.htabs.push(false);
    }
    this.flushLines();
    const out = this.out;
    this.out = "";
    return out;
  }

  private flushLines(): void {
    this.format(0, this.lineStarts.length);
    this.texts = [];
    this.cellWidths = [];
    this.htabs = [];
    this.lineStarts = [0];
    this.widths = [];
  }

  /** Number of cells of buffered line `i`. */
  private lineLength(i: number): number {
    const starts = this.lineStarts;
    const end = i + 1 < starts.length ? starts[i + 1]! : this.texts.length;
    return end - starts[i]!;
  }

  private padding(textWidth: number, cellWidth: number, useTabs: boolean): string {
    if (this.o.padChar === "\t" || useTabs) {
      if (this.o.tabWidth === 0) return "";
      const tw = this.o.tabWidth;
      const w = Math.ceil(cellWidth / tw) * tw;
      return "\t".repeat(Math.ceil((w - textWidth) / tw));
    }
    if (cellWidth <= textWidth) return "";
    const n = cellWidth - textWidth;
    let pad = this.pads[n];
    if (pad === undefined) {
      pad = this.o.padChar.repeat(n);
      this.pads[n] = pad;
    }
    return pad;
  }

  private writeLines(line0: number, line1: number): void {
    const { texts, cellWidths, widths } = this;
    const nLines = this.lineStarts.length;
    const debug = this.o.debug;
    const alignRight = this.o.alignRight;
    let out = "";
    for (let i = line0; i < line1; i++) {
      const start = this.lineStarts[i]!;
      const n = this.lineLength(i);
      for (let j = 0; j < n; j++) {
        if (j > 0 && debug) out += "|";
        const text = texts[start + j]!;
        const w = widths[j];
        if (text.length === 0) {
          if (w !== undefined) out += this.padding(cellWidths[start + j]!, w, false);
        } else if (!alignRight) {
          out += text;
          if (w !== undefined) out += this.padding(cellWidths[start + j]!, w, false);
        } else {
          if (w !== undefined) out += this.padding(cellWidths[start + j]!, w, false);
          out += text;
        }
      }
      if (i + 1 === nLines) out += this.cell;
      else out += "\n";
    }
    this.out += out;
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lineLength(cur) - 1) continue;
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.o.minWidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        if (column >= this.lineLength(cur) - 1) break;
        const k = this.lineStarts[cur]! + column;
        const w = this.cellWidths[k]!;
        width = Math.max(width, w + this.o.padding);
        if (w > 0 || this.htabs[k]) discardable = false;
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
