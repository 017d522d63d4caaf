/**
 * The text edits of pinning: a reference as written gains (or changes) its digest, and edits at
 * character ranges are applied to a file's text, everything outside them kept byte for byte.
 */
import type { Digest } from "../oci/digest.ts";
import { DEFAULT_TAG, type Reference } from "../oci/reference.ts";
import type { TextRange } from "./from-lines.ts";

/**
 * `written` (whose parse is `ref`) pinned to `digest`: `name:tag@digest`, as familiar as it was
 * written. A name without a tag gains `:latest` (the tag it stands for); a digest already there is
 * replaced. A reference pinned by digest alone has no tag to pin: callers leave it as it is.
 */
export function pinnedText(written: string, ref: Reference, digest: Digest): string {
  const at = written.lastIndexOf("@");
  const name = ref.digest !== undefined && at >= 0 ? written.slice(0, at) : written;
  return `${name}${ref.tag === undefined ? `:${DEFAULT_TAG}` : ""}@${digest}`;
}

export interface TextEdit {
  range: TextRange;
  replacement: string;
}

/** The text with each range replaced; the ranges must not overlap. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start);
  let out = "";
  let at = 0;
  for (const edit of sorted) {
    if (edit.range.start < at || edit.range.end < edit.range.start || edit.range.end > text.length) {
      throw new RangeError(`overlapping or invalid edit at ${edit.range.start}-${edit.range.end}`);
    }
    out += text.slice(at, edit.range.start) + edit.replacement;
    at = edit.range.end;
  }
  return out + text.slice(at);
}

/** The physical line (without its line break) holding `offset`, and where it starts. */
export function lineAround(text: string, offset: number): { text: string; start: number; newline: boolean } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const next = text.indexOf("\n", offset);
  const end = next < 0 ? text.length : next;
  return { text: text.slice(start, end), start, newline: next >= 0 };
}
