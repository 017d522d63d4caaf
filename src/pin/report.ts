/**
 * How `wharf pin` tells what it did: one line per pinned or moved reference, `FILE:LINE: ` first
 * (as compilers locate diagnostics), and for --dry-run a unified diff of the changed lines with no
 * context, which `patch` can apply.
 */
import type { Note, PinChange } from "./pin-plan.ts";
import { applyEdits, lineAround } from "./rewrite.ts";

export function locatedLine(file: string, note: Note): string {
  return `${file}:${note.line}: ${note.message}`;
}

/** `busybox -> busybox:latest@sha256:…`, or for a moved tag `busybox:1 moved: sha256:old -> sha256:new`. */
export function changeLine(file: string, change: PinChange): string {
  const message =
    change.moved === undefined
      ? `${change.before} -> ${change.after}`
      : `${change.before.slice(0, change.before.lastIndexOf("@"))} moved: ${change.moved.from} -> ${change.moved.to}`;
  return locatedLine(file, { line: change.line, message });
}

/** The changed lines of `text` as a unified diff (zero context lines), "" when nothing changes. */
export function unifiedDiff(file: string, text: string, changes: readonly PinChange[]): string {
  if (changes.length === 0) return "";
  const sorted = [...changes].sort((a, b) => a.edit.range.start - b.edit.range.start);
  let out = `--- ${file}\n+++ ${file}\n`;
  for (const change of sorted) {
    const old = lineAround(text, change.edit.range.start);
    const range = { start: change.edit.range.start - old.start, end: change.edit.range.end - old.start };
    const updated = applyEdits(old.text, [{ range, replacement: change.edit.replacement }]);
    const noNewline = old.newline ? "" : "\\ No newline at end of file\n";
    out += `@@ -${change.line} +${change.line} @@\n-${old.text}\n${noNewline}+${updated}\n${noNewline}`;
  }
  return out;
}
