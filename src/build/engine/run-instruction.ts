/**
 * RUN: the command through the stage's SHELL (shell form) or as given (exec form), with the stage's
 * variables as its environment, in a runc container over the snapshot stack (src/build/run). A
 * non-zero exit fails the build with BuildKit's words.
 */

import { posix } from "node:path";
import type { RunCommand } from "../../dockerfile/instructions/commands.ts";
import { parseMount } from "../../dockerfile/instructions/run-mount.ts";
import { WharfError } from "../../errors.ts";
import { defaultPlatform, formatPlatform, type Platform } from "../../oci/platform.ts";
import { quote } from "../../util/go-quote.ts";
import { hashCopySources } from "../copy/content-hash.ts";
import { resolveInRoot } from "../root-path.ts";
import type { RunMount } from "../run/index.ts";
import { stepKey } from "./cache-key.ts";
import { type LayerStepContext, layerStep } from "./layer-step.ts";
import type { NetworkChoice } from "./request.ts";
import type { Expander } from "./scope.ts";
import type { StageState } from "./stage-state.ts";
import type { StageVars } from "./stage-vars.ts";

export interface RunContext extends LayerStepContext {
  /** The stage's target platform: RUN needs it to be the host's (no emulation here). */
  platform: Platform;
  /** The root a `--mount=type=bind` reads: the context ("" from) or a stage's or image's, with its content key. */
  mountSource(from: string): Promise<MountSource>;
  /** Where `--mount=type=cache,id=ID` keeps its files between builds. */
  cacheMountDir(id: string): string;
  network: NetworkChoice;
  addHosts: { host: string; ip: string }[];
  secretFile(id: string): string | undefined;
  /** The build's secrets tmpfs: RUN's per-mount copies go there too. */
  secretsDir?: string;
  signal?: AbortSignal;
  onOutput(stream: "stdout" | "stderr", data: Uint8Array): void;
}

/** The argv BuildKit runs: heredocs folded in as dispatchRun does, shell form through SHELL. */
export function runArgs(cmd: RunCommand, state: StageState): string[] {
  let args = cmd.cmdLine;
  if (cmd.files.length > 0 && cmd.prependShell && args.length === 1) {
    const first = cmd.files[0]!;
    if (cmd.files.length === 1 && /^<<-?["']?\w+["']?$/.test(args[0]!.trim())) {
      args = [first.chomp ? first.data.replace(/^\t+/gm, "") : first.data];
    } else {
      args = [[args[0], ...cmd.files.map((f) => `${f.data}${f.name}`)].join("\n")];
    }
  }
  return cmd.prependShell ? [...state.shell, args.join(" ")] : args;
}

export async function runInstruction(
  ctx: RunContext,
  cmd: RunCommand,
  state: StageState,
  vars: StageVars,
  expander: Expander,
): Promise<boolean> {
  const host = defaultPlatform();
  if (ctx.platform.os !== host.os || ctx.platform.architecture !== host.architecture) {
    throw new WharfError(
      "BUILD_PLATFORM_UNSUPPORTED",
      `RUN for ${formatPlatform(ctx.platform)} on this ${formatPlatform(host)} machine: wharf build runs RUN only ` +
        "for the host's platform (no emulation); stages without RUN can target any platform",
      { platform: formatPlatform(ctx.platform), host: formatPlatform(host) },
    );
  }
  const sources: MountSource[] = [];
  try {
    return await runWithMounts(ctx, cmd, state, vars, await runMounts(ctx, cmd, vars, expander, sources));
  } finally {
    for (const source of sources) await source.release();
  }
}

async function runWithMounts(
  ctx: RunContext,
  cmd: RunCommand,
  state: StageState,
  vars: StageVars,
  mounts: PreparedMount[],
): Promise<boolean> {
  const args = runArgs(cmd, state);
  const env = vars.runEnv();
  const network = cmd.network === "default" ? ctx.network : cmd.network;
  const key = stepKey(state.cacheKey, "RUN", {
    args,
    env,
    cwd: state.workdir,
    user: state.run.User ?? "",
    network,
    mounts: mounts.map((m) => m.key),
    hosts: ctx.addHosts,
  });
  const prefix = vars.argsPrefix();
  const createdBy = `RUN ${prefix ? `${prefix} ` : ""}${args.join(" ")} # buildkit`;
  return layerStep(ctx, state, key, createdBy, async (ws) => {
    const { runStep } = await import("../run/index.ts");
    const result = await runStep({
      lowerDirs: ws.lowerDirs,
      upperDir: ws.upperDir,
      scratchDir: ws.scratchDir,
      args,
      env,
      cwd: state.workdir,
      user: state.run.User ?? "",
      network,
      extraHosts: ctx.addHosts,
      mounts: mounts.map((m) => m.mount),
      stdout: (chunk) => ctx.onOutput("stdout", chunk),
      stderr: (chunk) => ctx.onOutput("stderr", chunk),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      // A failed command's changes are no layer: writing them would only cost (or fill the disk).
      beforeUnmount: async (merged, exitCode) => {
        if (exitCode === 0) await ws.writeLayer(merged);
      },
      ...(ctx.secretsDir ? { secretsDir: ctx.secretsDir } : {}),
    });
    if (result.exitCode !== 0) {
      throw new WharfError(
        "BUILD_RUN_FAILED",
        `process ${quote(args.join(" "))} did not complete successfully: exit code: ${result.exitCode}`,
        { exitCode: result.exitCode },
      );
    }
  });
}

export interface MountSource {
  root: string;
  /** What identifies the content (a stage's cache key, an image digest); undefined: hash the files. */
  contentKey?: string;
  excludes?: readonly string[];
  release(): Promise<void>;
}

/** A RUN mount ready for the runtime, and what of it goes into the step's cache key. */
interface PreparedMount {
  mount: RunMount;
  key: unknown;
}

/** RUN --mount values, parsed again now that the stage's variables are known (run-mount.ts). */
async function runMounts(
  ctx: RunContext,
  cmd: RunCommand,
  vars: StageVars,
  expander: Expander,
  sources: MountSource[],
): Promise<PreparedMount[]> {
  const prepared: PreparedMount[] = [];
  for (const spec of cmd.mountSpecs) {
    const m = parseMount(spec, (w) => expander.word(w, vars.all()));
    const target = m.target;
    switch (m.type) {
      case "secret": {
        const id = m.cacheId || posix.basename(target);
        const file = ctx.secretFile(id);
        if (!file) {
          if (m.required) throw new WharfError("BUILD_SECRET_MISSING", `secret ${id}: not found`, { id });
          continue;
        }
        const mount: RunMount = { type: "secret", source: file, target: target || `/run/secrets/${id}` };
        if (m.mode !== undefined) mount.mode = m.mode;
        if (m.uid !== undefined) mount.uid = m.uid;
        if (m.gid !== undefined) mount.gid = m.gid;
        // The secret's value is not part of the key (BuildKit: secrets never invalidate the cache).
        prepared.push({ mount, key: { type: "secret", id, target: mount.target } });
        break;
      }
      case "tmpfs":
        prepared.push({
          mount: { type: "tmpfs", target },
          key: { type: "tmpfs", target, size: m.sizeLimit },
        });
        break;
      case "cache": {
        const id = m.cacheId || target;
        const mount: RunMount = {
          type: "cache",
          source: ctx.cacheMountDir(id),
          target,
          readonly: m.readOnly,
        };
        if (m.mode !== undefined) mount.mode = m.mode;
        if (m.uid !== undefined) mount.uid = m.uid;
        if (m.gid !== undefined) mount.gid = m.gid;
        // A cache mount's content never enters the key: it is a cache.
        prepared.push({ mount, key: { type: "cache", id, target } });
        break;
      }
      case "bind": {
        const from = await ctx.mountSource(m.from);
        sources.push(from);
        const source = resolveInRoot(from.root, m.source || "/");
        const contentKey =
          from.contentKey ??
          (await hashCopySources({
            source: { root: from.root, ...(from.excludes ? { excludes: from.excludes } : {}) },
            sourcePaths: [m.source || "."],
            dest: "/",
            workdir: "/",
          }));
        // Read-only always: a read-write bind of the context would write into the person's files.
        prepared.push({
          mount: { type: "bind", source, target, readonly: true },
          key: { type: "bind", from: m.from, source: m.source, target, content: contentKey },
        });
        break;
      }
      default:
        throw new WharfError(
          "BUILD_UNSUPPORTED",
          `RUN --mount=type=${m.type} is not supported by wharf build`,
          {
            type: m.type,
          },
        );
    }
  }
  return prepared;
}
