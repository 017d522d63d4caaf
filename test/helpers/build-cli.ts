/**
 * What the `wharf build` tests share: wharf on a store, context directories made of files, and
 * reading BuildKit's plain progress (`#N NAME`, `#N 0.123 line`, `#N CACHED` / `DONE` / `ERROR`).
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Finished, run, WHARF_MAIN } from "./spawn.ts";
import { tempDir } from "./tmp.ts";

/** wharf with `--root store`; `input` goes to its stdin. */
export function wharfIn(
  store: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): Promise<Finished> {
  return run(WHARF_MAIN, ["--root", store, ...args], {
    env: options.env ?? process.env,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

/** The run, asserted to have exited 0. */
export async function ok(running: Promise<Finished>): Promise<Finished> {
  const r = await running;
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A context directory with these files (the Dockerfile among them, usually). */
export function contextDir(files: Record<string, string>, prefix = "wharf-build-ctx-"): string {
  const dir = tempDir(prefix);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The vertex number of the progress line `#N NAME` (the first one); `] NAME` matches any `[k/n] NAME`. */
export function vertex(stderr: string, name: string): number {
  const line = stderr
    .split("\n")
    .find((l) => (name.startsWith("] ") ? l.endsWith(name) : l.replace(/^#\d+ /, "") === name));
  assert.ok(line, `no vertex "${name}" in:\n${stderr}`);
  return Number(line.slice(1, line.indexOf(" ")));
}

/** How the vertex named NAME ended: CACHED, DONE or ERROR. */
export function outcome(stderr: string, name: string): string {
  const n = vertex(stderr, name);
  const end = stderr.split("\n").find((l) => new RegExp(`^#${n} (CACHED|DONE \\d+\\.\\ds|ERROR: )`).test(l));
  return end?.split(" ")[1]?.replace(/:$/, "") ?? "none";
}

/** A directory's names, none when it is missing. */
export function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
