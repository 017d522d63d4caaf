/**
 * Which stages a build runs and in what dependency order (BuildKit's dispatchStates): FROM names and
 * platforms expanded with the meta ARGs, a FROM or `COPY --from` / `RUN --mount from=` naming an
 * earlier stage (by name or index) makes a dependency, and only the target's closure is built.
 */
import type { Stage } from "../../dockerfile/instructions/commands.ts";
import type { ParsedStages } from "../../dockerfile/instructions/stages.ts";
import { WharfError } from "../../errors.ts";
import type { Expander } from "./scope.ts";

export interface PlannedStage {
  index: number;
  stage: Stage;
  /** The expanded base: another stage's index, "scratch", or an image reference. */
  base: { kind: "stage"; index: number } | { kind: "scratch" } | { kind: "image"; name: string };
  /** Indices of stages it reads (its base stage and --from sources). */
  deps: Set<number>;
  /** The stage's name in progress lines: its AS name, `stage-N` when it has none (multi-stage only). */
  label: string;
  /** FROM of an image plus the instructions that make a vertex (RUN, COPY, ADD, WORKDIR): the n of `[k/n]`. */
  total: number;
}

export interface BuildPlan {
  stages: PlannedStage[];
  target: number;
  /** Stages to build, each after its dependencies. */
  order: number[];
  /** The target and the stages it is built FROM: their layers are the image's. */
  imageStages: ReadonlySet<number>;
}

const VERTEX_TYPES: ReadonlySet<string> = new Set(["RUN", "COPY", "ADD", "WORKDIR"]);

export function planStages(
  parsed: ParsedStages,
  metaArgs: ReadonlyMap<string, string>,
  expander: Expander,
  target: string | undefined,
): BuildPlan {
  if (parsed.stages.length === 0) {
    throw new WharfError("BUILD_INVALID", "the Dockerfile has no build stage (no FROM instruction)");
  }
  const byName = new Map<string, number>();
  const stages: PlannedStage[] = parsed.stages.map((stage, index) => {
    const baseName = expander.word(stage.baseName, metaArgs);
    if (baseName === "") {
      throw new WharfError("BUILD_INVALID", `base name (${stage.baseName}) should not be blank`);
    }
    const known = byName.get(baseName.toLowerCase());
    const base: PlannedStage["base"] =
      known !== undefined
        ? { kind: "stage", index: known }
        : baseName.toLowerCase() === "scratch"
          ? { kind: "scratch" }
          : { kind: "image", name: baseName };
    const deps = new Set<number>(known !== undefined ? [known] : []);
    for (const cmd of stage.commands) {
      const from = cmd.type === "COPY" ? cmd.from : undefined;
      const mountFroms = cmd.type === "RUN" ? cmd.mounts.map((m) => m.from).filter((f) => f) : [];
      for (const ref of [from, ...mountFroms]) {
        if (!ref) continue;
        const dep = stageRef(expander.word(ref, metaArgs), byName, index);
        if (dep !== undefined) deps.add(dep);
      }
    }
    if (stage.name !== "") byName.set(stage.name, index);
    // BuildKit counts a FROM only when it loads an image (not scratch, not another stage).
    const total =
      (base.kind === "image" ? 1 : 0) + stage.commands.filter((c) => VERTEX_TYPES.has(c.type)).length;
    return { index, stage, base, deps, label: stage.name, total };
  });
  if (stages.length > 1) for (const s of stages) s.label ||= `stage-${s.index}`;
  const targetIndex = target === undefined ? stages.length - 1 : byName.get(target.toLowerCase());
  if (targetIndex === undefined) {
    throw new WharfError("BUILD_TARGET_NOT_FOUND", `target stage "${target}" could not be found`, { target });
  }
  const order: number[] = [];
  const visit = (i: number) => {
    if (order.includes(i)) return;
    for (const d of stages[i]!.deps) visit(d);
    order.push(i);
  };
  visit(targetIndex);
  const imageStages = new Set<number>();
  for (let i: number | undefined = targetIndex; i !== undefined; ) {
    imageStages.add(i);
    const base: PlannedStage["base"] = stages[i]!.base;
    i = base.kind === "stage" ? base.index : undefined;
  }
  return { stages, target: targetIndex, order, imageStages };
}

/** A `--from` value naming an earlier stage (name, or index below `current`); undefined: an image. */
export function stageRef(
  ref: string,
  byName: ReadonlyMap<string, number>,
  current: number,
): number | undefined {
  const named = byName.get(ref.toLowerCase());
  if (named !== undefined) return named;
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (index >= current) {
      throw new WharfError("BUILD_INVALID", `invalid stage index ${index}: it must be of an earlier stage`);
    }
    return index;
  }
  return undefined;
}
