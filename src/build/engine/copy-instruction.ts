/**
 * COPY and ADD: the sources (the build context, another stage's root or an image's) copied into the
 * stage's root through an overlay mount (src/build/copy), so the kernel copies parent directories
 * up with their metadata and the upper dir is exactly the change. The cache key hashes what would
 * be copied (names, modes, owners, bytes; not mtimes), so a touched file does not invalidate it.
 */

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AddCommand, CopyCommand } from "../../dockerfile/instructions/commands.ts";
import { WharfError } from "../../errors.ts";
import { hashCopySources } from "../copy/content-hash.ts";
import type { CopySource } from "../copy/copy-request.ts";
import { stepKey } from "./cache-key.ts";
import { type LayerStepContext, layerStep } from "./layer-step.ts";
import type { Expander } from "./scope.ts";
import type { StageState } from "./stage-state.ts";
import type { StageVars } from "./stage-vars.ts";

/** Where a COPY's files come from, with what identifies their content for the cache key. */
export interface ResolvedCopySource {
  /** For a stage or image root: the key of its content (its cache key); undefined for the context. */
  contentKey?: string;
  /** The `--from` value as written. */
  from?: string;
  /** The files to read: a stage's or image's root is mounted only now (a cache hit never asks). */
  open(): Promise<OpenedCopySource>;
}

export interface OpenedCopySource {
  source: CopySource;
  release(): Promise<void>;
}

export async function copyInstruction(
  ctx: LayerStepContext,
  cmd: CopyCommand | AddCommand,
  state: StageState,
  vars: StageVars,
  expander: Expander,
  resolved: ResolvedCopySource,
): Promise<boolean> {
  const expand = (w: string) => expander.word(w, vars.all());
  const sourcePaths = cmd.sourcePaths.map(expand);
  const dest = expand(cmd.destPath);
  const chown = cmd.chown ? expand(cmd.chown) : "";
  const chmod = cmd.chmod ? expand(cmd.chmod) : "";
  const inlineFiles = cmd.sourceContents.map((c) => ({
    path: c.path,
    data: c.expand ? expander.word(c.data, vars.all()) : c.data,
  }));
  const request = {
    sourcePaths,
    inlineFiles,
    dest,
    workdir: state.workdir,
    ...(chown ? { chown } : {}),
    ...(chmod ? { chmod } : {}),
    excludePatterns: cmd.excludePatterns,
    parents: cmd.type === "COPY" ? cmd.parents : false,
    unpackArchives: cmd.type === "ADD" ? (cmd.unpack ?? true) : false,
    ...(ctx.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: ctx.sourceDateEpoch }),
    instruction: cmd.type,
  };
  if (cmd.type === "ADD" && sourcePaths.some(isUrl)) {
    return addUrls(ctx, cmd, state, request);
  }
  let opened: OpenedCopySource | undefined;
  try {
    // The context is hashed (its content decides the key); a stage's or image's key is its own.
    if (resolved.contentKey === undefined) opened = await resolved.open();
    const content = resolved.contentKey ?? (await contextHash(ctx, request, opened!.source));
    return await copyStep(ctx, cmd, state, request, content, async () => {
      opened ??= await resolved.open();
      return opened.source;
    });
  } finally {
    await opened?.release();
  }
}

function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/**
 * ADD of URLs, as BuildKit's HTTP source: each downloaded (mode 0600, mtime from Last-Modified,
 * `--checksum` verified) into a scratch dir, which is then the step's source; the key is over the
 * downloaded bytes, so a changed file at the same URL is a new layer. Remote files are not unpacked.
 */
async function addUrls(
  ctx: LayerStepContext,
  cmd: AddCommand,
  state: StageState,
  request: CopyStepRequest & {
    inlineFiles: { path: string; data: string }[];
    parents: boolean;
    unpackArchives: boolean;
  },
): Promise<boolean> {
  if (!request.sourcePaths.every(isUrl)) {
    throw new WharfError(
      "BUILD_UNSUPPORTED",
      "ADD of URLs and local files in one instruction is not supported",
      {},
    );
  }
  if (cmd.checksum && request.sourcePaths.length !== 1) {
    throw new WharfError("BUILD_INVALID", "checksum can't be specified for multiple sources");
  }
  const { addUrlFileName, fetchAddUrl } = await import("../copy/add-url.ts");
  const scratch = await ctx.snapshots.scratch();
  try {
    const root = join(scratch, "downloads");
    await mkdir(root);
    const names: string[] = [];
    for (const url of request.sourcePaths) {
      const name = addUrlFileName(url);
      await fetchAddUrl(url, join(root, name), cmd.checksum || undefined);
      names.push(name);
    }
    const local = { ...request, sourcePaths: names, unpackArchives: false };
    const source: CopySource = { root, kind: "context" };
    const content = await hashCopySources({ ...local, source, digestCache: ctx.digestCache });
    return await copyStep(ctx, cmd, state, local, content, async () => source, request.sourcePaths);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The content hash of context sources, once per build for the same sources and options: two stages
 * copying `src/` walk the context once (the files cannot change during a build; BuildKit too
 * snapshots the context once).
 */
function contextHash(ctx: LayerStepContext, request: CopyStepRequest, source: CopySource): Promise<string> {
  const { dest: _dest, workdir: _workdir, ...inputs } = request;
  const memoKey = JSON.stringify([source.root, source.excludes, inputs]);
  let hash = ctx.contextHashes.get(memoKey);
  if (!hash) {
    hash = hashCopySources({ ...request, source, digestCache: ctx.digestCache });
    ctx.contextHashes.set(memoKey, hash);
  }
  return hash;
}

type CopyStepRequest = Omit<Parameters<typeof hashCopySources>[0], "source" | "digestCache">;

async function copyStep(
  ctx: LayerStepContext,
  cmd: CopyCommand | AddCommand,
  state: StageState,
  request: CopyStepRequest & {
    inlineFiles: { path: string; data: string }[];
    parents: boolean;
    unpackArchives: boolean;
  },
  content: string,
  source: () => Promise<CopySource>,
  /** The sources as the history names them (an ADD's URLs), when not `request.sourcePaths`. */
  shownSources?: readonly string[],
): Promise<boolean> {
  const { sourcePaths, inlineFiles, dest } = request;
  const chown = request.chown ?? "";
  const chmod = request.chmod ?? "";
  const key = stepKey(state.cacheKey, cmd.type, {
    content,
    paths: shownSources ?? sourcePaths,
    inline: inlineFiles,
    dest,
    workdir: state.workdir,
    chown,
    chmod,
    exclude: request.excludePatterns,
    parents: request.parents,
    unpack: request.unpackArchives,
  });
  // BuildKit's commit message names --parents, --chown and --chmod, not --from.
  const flags = [
    request.parents ? "--parents" : "",
    chown ? `--chown=${chown}` : "",
    chmod ? `--chmod=${chmod}` : "",
  ].filter((f) => f);
  const sources = [...(shownSources ?? sourcePaths), ...inlineFiles.map((f) => `<<${f.path}`)];
  const createdBy = `${cmd.type} ${[...flags, ...sources, dest].join(" ")} # buildkit`;
  return layerStep(ctx, state, key, createdBy, async (ws) => {
    // Loaded on a cache miss only: a cached build needs neither the copier nor the mounts.
    const [{ copyIntoRoot }, { mountOverlay }, { prepareUpperCopy }] = await Promise.all([
      import("../copy/copy-files.ts"),
      import("../run/overlay-mount.ts"),
      import("./copy-upper.ts"),
    ]);
    const from = await source();
    if (await prepareUpperCopy(ws.lowerDirs, ws.upperDir, from, request)) {
      await copyIntoRoot({ ...request, source: from, destRoot: ws.upperDir });
      await ws.writeLayer(undefined);
      return;
    }
    const mount = await mountOverlay({
      lowerDirs: ws.lowerDirs,
      upperDir: ws.upperDir,
      scratchDir: ws.scratchDir,
    });
    try {
      await copyIntoRoot({ ...request, source: from, destRoot: mount.merged });
      await ws.writeLayer(mount.merged);
    } finally {
      await mount.unmount();
    }
  });
}
