/**
 * What `wharf pin` does with each FROM, in two pure halves around the registry: planPins says which
 * references need resolving (unpinned ones; with `update`, pinned tags too; names built from ARG
 * defaults only to report them), applyPins turns the digests into the new text, the changes and one
 * note per FROM left as it is. unpinnedImages is `--check`'s list.
 *
 * A name built from ARGs (`FROM ${BASE}`) whose ARGs all have defaults is resolved and reported but
 * its text stays: pinning it would mean changing the ARG's default, which other FROM lines or
 * --build-arg values may share; the note says what it resolves to, so the default can be pinned by
 * hand. `--check` counts it as unpinned unless the default carries a digest; a name built from ARGs
 * without defaults is unknown until build time and is only noted.
 */
import type { WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import {
  DEFAULT_TAG,
  familiarString,
  type Reference,
  referenceString,
  trimNamed,
  withDigest,
  withTag,
} from "../oci/reference.ts";
import type { BaseImage } from "./base-images.ts";
import { pinnedText, type TextEdit } from "./rewrite.ts";

export type PinStep =
  /** Resolve the tag and write the digest into the text (`image` has a range). */
  | { action: "pin"; image: BaseImage; ref: Reference }
  /** Resolve the tag to say what an expanded name stands for; the text stays. */
  | { action: "report"; image: BaseImage; ref: Reference; name: string }
  | { action: "keep"; image: BaseImage; note: string }
  | { action: "fail"; image: BaseImage; error: WharfError };

export interface Note {
  line: number;
  message: string;
}

/** The reference whose tag is resolved (`latest` when there is none), digest dropped. */
export function tagReference(ref: Reference): Reference {
  return withTag(trimNamed(ref), ref.tag ?? DEFAULT_TAG);
}

/** The key digests are looked up by: the tagged reference in full. */
export function resolveKey(ref: Reference): string {
  return referenceString(tagReference(ref));
}

/** What to do about a name the text does not spell out: built from ARGs, or quoted / escaped. */
function expandedHint(word: string): string {
  return word.includes("$")
    ? "pin the ARG's default to pin it"
    : "write it without quotes or escapes to pin it";
}

function keep(image: BaseImage, note: string): PinStep {
  return { action: "keep", image, note };
}

function argList(args: readonly string[]): string {
  return args.length === 1 ? `ARG ${args[0]}, which has` : `ARGs ${args.join(", ")}, which have`;
}

export function planStep(image: BaseImage, update: boolean): PinStep {
  const { base, word } = image;
  switch (base.kind) {
    case "scratch":
      return keep(image, `FROM ${word}: no base image`);
    case "stage":
      return keep(image, `FROM ${word}: the build stage "${base.stage}", not an image`);
    case "unset-args":
      return keep(
        image,
        `${word}: left as is: built from ${argList(base.args)} no default before the first FROM`,
      );
    case "invalid":
      return { action: "fail", image, error: base.error };
    case "expanded":
      if (base.ref.digest !== undefined) return keep(image, `${word}: expands to ${base.name}, pinned`);
      return { action: "report", image, ref: base.ref, name: base.name };
    case "image":
      if (base.ref.digest !== undefined && base.ref.tag === undefined) {
        return keep(image, `${word}: pinned by digest alone (no tag to resolve)`);
      }
      if (base.ref.digest !== undefined && !update) return keep(image, `${word}: already pinned`);
      if (image.range === undefined) {
        return keep(image, `${word}: left as is: a line continuation splits the name`);
      }
      return { action: "pin", image, ref: base.ref };
  }
}

export function planPins(images: readonly BaseImage[], options: { update: boolean }): PinStep[] {
  return images.map((image) => planStep(image, options.update));
}

/** The references to resolve, once each. */
export function referencesToResolve(steps: readonly PinStep[]): Reference[] {
  const out = new Map<string, Reference>();
  for (const step of steps) {
    if (step.action === "pin" || step.action === "report")
      out.set(resolveKey(step.ref), tagReference(step.ref));
  }
  return [...out.values()];
}

export interface PinChange {
  line: number;
  edit: TextEdit;
  /** The reference as written, and as it is written now. */
  before: string;
  after: string;
  /** Set when a pinned tag moved (`--update`). */
  moved?: { from: Digest; to: Digest };
}

export interface PinOutcome {
  edits: PinChange[];
  notes: Note[];
}

/** The edits and notes, given every resolved reference's digest by resolveKey. */
export function applyPins(steps: readonly PinStep[], digests: ReadonlyMap<string, Digest>): PinOutcome {
  const edits: PinChange[] = [];
  const notes: Note[] = [];
  for (const step of steps) {
    const { image } = step;
    if (step.action === "keep") notes.push({ line: image.line, message: step.note });
    if (step.action !== "pin" && step.action !== "report") continue;
    const digest = digests.get(resolveKey(step.ref));
    if (digest === undefined) throw new RangeError(`no digest for ${resolveKey(step.ref)}`);
    if (step.action === "report") {
      const pinned = familiarString(withDigest(tagReference(step.ref), digest));
      notes.push({
        line: image.line,
        message: `${image.word}: left as is: expands to ${step.name}, now ${pinned}; ${expandedHint(image.word)}`,
      });
      continue;
    }
    if (step.ref.digest === digest) {
      notes.push({ line: image.line, message: `${image.word}: up to date` });
      continue;
    }
    const after = pinnedText(image.word, step.ref, digest);
    const range = image.range!;
    const change: PinChange = {
      line: image.line,
      edit: { range, replacement: after },
      before: image.word,
      after,
    };
    if (step.ref.digest !== undefined) change.moved = { from: step.ref.digest, to: digest };
    edits.push(change);
  }
  return { edits, notes };
}

/**
 * `--check`: the FROM lines that pull an image by a tag alone (or are no reference at all), and those
 * that cannot be checked (built from ARGs without defaults).
 */
export function checkPins(images: readonly BaseImage[]): { unpinned: Note[]; unknown: Note[] } {
  const unpinned: Note[] = [];
  const unknown: Note[] = [];
  for (const image of images) {
    const { base, word, line } = image;
    if (base.kind === "image" && base.ref.digest === undefined) {
      unpinned.push({ line, message: `${word} is not pinned` });
    } else if (base.kind === "expanded" && base.ref.digest === undefined) {
      unpinned.push({
        line,
        message: `${word} is not pinned: it expands to ${base.name}; ${expandedHint(word)}`,
      });
    } else if (base.kind === "invalid") {
      unpinned.push({ line, message: `${word} is not an image reference: ${base.error.message}` });
    } else if (base.kind === "unset-args") {
      const step = planStep(image, false);
      if (step.action === "keep") unknown.push({ line, message: step.note });
    }
  }
  return { unpinned, unknown };
}
