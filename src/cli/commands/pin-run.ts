/**
 * `wharf pin`: reads the Dockerfile, resolves every base image's tag through its registry and
 * writes `name:tag@sha256:…` in place of each reference, everything else kept byte for byte (see
 * src/pin). Notes about FROM lines left as they are go to stderr, the changes to stdout. When any
 * reference fails to resolve, nothing is written. `--check` is offline; `--image` pins one name.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isWharfError, WharfError } from "../../errors.ts";
import { parseNormalizedNamed } from "../../oci/reference.ts";
import { findBaseImages } from "../../pin/base-images.ts";
import {
  applyPins,
  checkPins,
  type PinStep,
  planPins,
  referencesToResolve,
  resolveKey,
  tagReference,
} from "../../pin/pin-plan.ts";
import { changeLine, locatedLine, unifiedDiff } from "../../pin/report.ts";
import { resolveAll, TagResolver } from "../../pin/resolve.ts";
import { applyEdits, pinnedText } from "../../pin/rewrite.ts";
import { replaceFileAtomically } from "../../pin/write-file.ts";
import { globalOptions } from "../context.ts";
import { EXIT_FAILURE, formatError, usageError } from "../exit.ts";

export interface PinFlags {
  file?: string;
  check?: boolean;
  update?: boolean;
  dryRun?: boolean;
  image?: string;
}

const COMMAND = "wharf pin";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function runPin(flags: PinFlags, command: Command): Promise<void> {
  if (flags.check && flags.update) throw usageError("--check and --update cannot be used together", COMMAND);
  const resolver = new TagResolver({ insecureRegistries: globalOptions(command).insecureRegistry ?? [] });
  try {
    if (flags.image !== undefined) {
      if (flags.file !== undefined || flags.check || flags.dryRun) {
        throw usageError("--image cannot be used with --file, --check or --dry-run", COMMAND);
      }
      out(await pinImage(flags.image, flags.update ?? false, resolver));
      return;
    }
    await pinDockerfile(flags.file ?? "Dockerfile", flags, resolver);
  } finally {
    await resolver.close();
  }
}

/** One reference pinned, as familiar as it was written; one already pinned stays (unless `update`). */
async function pinImage(name: string, update: boolean, resolver: TagResolver): Promise<string> {
  const ref = parseNormalizedNamed(name);
  if (ref.digest !== undefined && (ref.tag === undefined || !update)) return name;
  return pinnedText(name, ref, await resolver.resolve(tagReference(ref)));
}

async function readDockerfile(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    // The BOM is kept: the text is written back as it was read.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new WharfError("DOCKERFILE_PARSE", `${path}: not UTF-8 text`, { path });
  }
}

async function pinDockerfile(file: string, flags: PinFlags, resolver: TagResolver): Promise<void> {
  const text = await readDockerfile(file);
  const images = findBaseImages(text);
  if (flags.check) {
    const { unpinned, unknown } = checkPins(images);
    for (const note of unknown) err(locatedLine(file, note));
    for (const note of unpinned) out(locatedLine(file, note));
    if (unpinned.length > 0) process.exitCode = EXIT_FAILURE;
    else if (unknown.length === 0) err(`${file}: every base image is pinned`);
    else err(`${file}: every base image that can be checked is pinned`);
    return;
  }
  const steps = planPins(images, { update: flags.update ?? false });
  const { digests, failures } = await resolveAll(resolver, referencesToResolve(steps), resolveKey);
  throwFailures(file, steps, failures);

  const { edits, notes } = applyPins(steps, digests);
  const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
  const pinned = applyEdits(
    text,
    edits.map((e) => e.edit),
  );
  if (flags.dryRun) {
    for (const note of notes.sort(byLine)) err(locatedLine(file, note));
    process.stdout.write(unifiedDiff(file, text, edits));
    if (edits.length === 0) err(`${file}: nothing to change`);
    return;
  }
  if (edits.length > 0) await replaceFileAtomically(file, pinned);
  // Notes and changes in the order of their lines.
  const lines = [
    ...notes.map((note) => ({ line: note.line, write: () => err(locatedLine(file, note)) })),
    ...edits.map((change) => ({ line: change.line, write: () => out(changeLine(file, change)) })),
  ].sort(byLine);
  for (const line of lines) line.write();
  if (edits.length === 0) err(`${file}: nothing to change`);
}

/** Every reference that could not be resolved, one line each; the file is left as it was. */
function throwFailures(
  file: string,
  steps: readonly PinStep[],
  failures: ReadonlyMap<string, unknown>,
): void {
  const failed: { line: number; error: unknown }[] = [];
  for (const step of steps) {
    if (step.action === "fail") failed.push({ line: step.image.line, error: step.error });
    if (step.action !== "pin" && step.action !== "report") continue;
    const failure = failures.get(resolveKey(step.ref));
    if (failure !== undefined) failed.push({ line: step.image.line, error: failure });
  }
  const [first] = failed;
  if (first === undefined) return;
  const located = (f: { line: number; error: unknown }) => `${file}:${f.line}: ${formatError(f.error)}`;
  const code = isWharfError(first.error) ? first.error.code : "REGISTRY_ERROR";
  if (failed.length === 1) {
    const detail = isWharfError(first.error) ? { ...first.error.detail } : {};
    throw new WharfError(code, located(first), { ...detail, file, line: first.line }, { cause: first.error });
  }
  for (const f of failed) err(located(f));
  throw new WharfError(
    code,
    `${file}: ${failed.length} base images could not be resolved; file left unchanged`,
  );
}
