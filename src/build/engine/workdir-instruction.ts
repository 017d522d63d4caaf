/**
 * WORKDIR as current BuildKit does it: the config's WorkingDir, and for any path but `/` a layer
 * that makes the directory (mkdir -p, 0755, owned by the stage's USER). An existing directory makes
 * the empty layer.
 */
import { chown, lstat, mkdir } from "node:fs/promises";
import { posix } from "node:path";
import type { WorkdirCommand } from "../../dockerfile/instructions/commands.ts";
import { resolveInRoot } from "../root-path.ts";
import { stepKey } from "./cache-key.ts";
import { type LayerStepContext, layerStep } from "./layer-step.ts";
import type { Expander } from "./scope.ts";
import type { StageState } from "./stage-state.ts";
import type { StageVars } from "./stage-vars.ts";
import { workdirInUpper } from "./workdir-upper.ts";

export async function workdirInstruction(
  ctx: LayerStepContext,
  cmd: WorkdirCommand,
  state: StageState,
  vars: StageVars,
  expander: Expander,
): Promise<boolean> {
  const path = expander.word(cmd.path, vars.all());
  const wd = posix.isAbsolute(path) ? posix.normalize(path) : posix.join(state.workdir, path);
  const dir = wd.length > 1 ? wd.replace(/\/+$/, "") : wd;
  state.run.WorkingDir = dir;
  if (dir === "/") {
    state.addMetadataHistory(`WORKDIR ${dir}`);
    return false;
  }
  const user = state.run.User ?? "";
  const key = stepKey(state.cacheKey, "WORKDIR", { dir, user });
  const cached = await layerStep(ctx, state, key, `WORKDIR ${dir}`, async (ws) => {
    if (await workdirInUpper(ws.lowerDirs, ws.upperDir, dir, user)) {
      await ws.writeLayer(undefined);
      return;
    }
    const [{ mountOverlay }, { resolveUser }] = await Promise.all([
      import("../run/overlay-mount.ts"),
      import("../run/passwd.ts"),
    ]);
    const mount = await mountOverlay({
      lowerDirs: ws.lowerDirs,
      upperDir: ws.upperDir,
      scratchDir: ws.scratchDir,
    });
    try {
      const owner = await resolveUser(mount.merged, user);
      await mkdirAs(mount.merged, dir, owner.uid, owner.gid);
      await ws.writeLayer(mount.merged);
    } finally {
      await mount.unmount();
    }
  });
  // BuildKit's WORKDIR history entry carries no "# buildkit" suffix.
  return cached;
}

/** mkdir -p inside `root` (links resolved within it); new directories get the owner. */
async function mkdirAs(root: string, dir: string, uid: number, gid: number): Promise<void> {
  let current = "/";
  for (const part of dir.split("/").filter((p) => p)) {
    current = posix.join(current, part);
    const host = resolveInRoot(root, current);
    const existing = await lstat(host).catch(() => undefined);
    if (existing?.isDirectory()) continue;
    await mkdir(host, { mode: 0o755 });
    await chown(host, uid, gid);
  }
}
