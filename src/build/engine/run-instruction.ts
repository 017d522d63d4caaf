/**
 * RUN: the command through the stage's SHELL (shell form) or as given (exec form), with the stage's
 * variables as its environment, in a runc container over the snapshot stack (src/build/run). A
 * non-zero exit fails the build with BuildKit's words.
 */
import type { RunCommand } from "../../dockerfile/instructions/commands.ts";
import { WharfError } from "../../errors.ts";
import { quote } from "../../util/go-quote.ts";
import { type RunMount, runStep } from "../run/index.ts";
import { stepKey } from "./cache-key.ts";
import { type LayerStepContext, layerStep } from "./layer-step.ts";
import type { BuildSecret, NetworkChoice } from "./request.ts";
import type { StageState } from "./stage-state.ts";
import type { StageVars } from "./stage-vars.ts";

export interface RunContext extends LayerStepContext {
  network: NetworkChoice;
  addHosts: { host: string; ip: string }[];
  secrets: BuildSecret[];
  secretFile(id: string): string | undefined;
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
): Promise<boolean> {
  const args = runArgs(cmd, state);
  const env = vars.runEnv();
  const network = cmd.network === "default" ? ctx.network : cmd.network;
  const mounts: RunMount[] = [];
  for (const m of cmd.mounts) {
    if (m.type === "secret") {
      const id = m.cacheId || m.target.split("/").pop() || "";
      const file = ctx.secretFile(id);
      if (!file) {
        if (m.required) throw new WharfError("BUILD_SECRET_MISSING", `secret ${id} not found`, { id });
        continue;
      }
      mounts.push({
        type: "secret",
        source: file,
        target: m.target || `/run/secrets/${id}`,
        mode: m.mode ?? 0o400,
      });
    } else if (m.type === "tmpfs") {
      mounts.push({ type: "tmpfs", target: m.target });
    } else {
      throw new WharfError("BUILD_UNSUPPORTED", `RUN --mount=type=${m.type} is not supported yet`, {
        type: m.type,
      });
    }
  }
  const key = stepKey(state.cacheKey, "RUN", {
    args,
    env,
    cwd: state.workdir,
    user: state.run.User ?? "",
    network,
    mounts: cmd.mountSpecs,
    hosts: ctx.addHosts,
  });
  const prefix = vars.argsPrefix();
  const createdBy = `RUN ${prefix ? `${prefix} ` : ""}${args.join(" ")} # buildkit`;
  return layerStep(ctx, state, key, createdBy, async (ws) => {
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
      mounts,
      stdout: (chunk) => ctx.onOutput("stdout", chunk),
      stderr: (chunk) => ctx.onOutput("stderr", chunk),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      beforeUnmount: (merged) => ws.writeLayer(merged),
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
