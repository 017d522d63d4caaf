/**
 * `wharf build`'s engine: the Dockerfile parsed (src/dockerfile), its stages planned, each needed
 * stage built in dependency order (independent ones at once), step by step: metadata steps change
 * the config, RUN/COPY/ADD/WORKDIR make layers through the cache (layer-step.ts). The result is the
 * target stage's image as documents plus an ImageSource, for the copy engine to put anywhere.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { detectSyntax } from "../../dockerfile/directives.ts";
import type { Command } from "../../dockerfile/instructions/commands.ts";
import { parseCommand } from "../../dockerfile/instructions/parse-instruction.ts";
import { parseStages } from "../../dockerfile/instructions/stages.ts";
import { type LintWarning, lintDockerfile } from "../../dockerfile/lint/index.ts";
import { type ParseResult, parseDockerfile } from "../../dockerfile/parser.ts";
import { isWharfError, WharfError } from "../../errors.ts";
import type { ImageConfig } from "../../oci/config.ts";
import { defaultPlatform, formatPlatform, type Platform, parsePlatform } from "../../oci/platform.ts";
import { parseNormalizedNamed, referenceString, tagNameOnly } from "../../oci/reference.ts";
import { type BuildCacheEntry, lookupBuildCache, touchBuildCache } from "../../store/build-cache.ts";
import type { ManifestRef } from "../../store/records.ts";
import { listContext } from "../context/context-walk.ts";
import { readContextIgnorePatterns } from "../context/dockerignore-file.ts";
import { FileDigestCache } from "../copy/content-hash.ts";
import { loadBaseImage } from "./base-image.ts";
import { BuildSecrets } from "./build-secrets.ts";
import { baseKey } from "./cache-key.ts";
import { copyInstruction, type ResolvedCopySource } from "./copy-instruction.ts";
import { DocumentsSource } from "./documents-source.ts";
import { loadFileDigests, saveFileDigests } from "./file-digests.ts";
import { fillHistoryTimes, type ImageDocuments, imageDocuments } from "./image-export.ts";
import type { LayerStepContext } from "./layer-step.ts";
import { applyMetadata } from "./metadata-steps.ts";
import type { BuildEvent, BuildRequest } from "./request.ts";
import { type MountSource, type RunContext, runInstruction } from "./run-instruction.ts";
import { Expander, platformArgs } from "./scope.ts";
import { type LayerRef, Snapshots } from "./snapshots.ts";
import { type BuildPlan, type PlannedStage, planStages, stageRef } from "./stage-plan.ts";
import { StageState, scratchConfig } from "./stage-state.ts";
import { StageVars } from "./stage-vars.ts";
import { cleanStaleScratch } from "./stale-scratch.ts";
import { workdirInstruction } from "./workdir-instruction.ts";

export interface BuildResult {
  documents: ImageDocuments;
  /** The image's layers (store blobs), platform and created time, for the store output. */
  layers: LayerRef[];
  platform: { os: string; architecture: string; variant?: string };
  created: string | undefined;
  source: DocumentsSource;
  /** Build args given but not consumed by any ARG (BuildKit warns about them). */
  unusedArgs: string[];
  /** BuildKit's build checks that fired (the CLI prints their summary at the end). */
  lintWarnings: LintWarning[];
  /** The cache records of every layer step the build used, for `--cache-to`. */
  cacheEntries(): BuildCacheEntry[];
  /** A progress vertex number for what the caller does next (exporting). */
  nextVertex(): number;
  /** The target's root file system, mounted read-only (type=local and type=tar outputs). */
  rootfs(): Promise<{ dir: string; release(): Promise<void> }>;
  /** Ends the build's hold on its blobs (after the output is committed). */
  release(): Promise<void>;
}

/** Where a step failed: the CLI prints BuildKit's `Dockerfile:LINE` excerpt from these. */
export interface StepLocation {
  vertex: string;
  startLine: number;
  endLine: number;
}

const DOCKERFILE_FRONTENDS =
  /^(docker\.io\/)?docker\/dockerfile(-upstream)?(:[^@]*)?(@sha256:[0-9a-f]{64})?$/;

export async function build(request: BuildRequest): Promise<BuildResult> {
  const run = new BuildRun(request);
  try {
    return await run.run();
  } catch (err) {
    await run.lease.release().catch(() => undefined);
    throw err;
  }
}

class BuildRun {
  readonly request: BuildRequest;
  readonly lease;
  readonly snapshots: Snapshots;
  #nextVertex = 1;
  readonly #hits: LayerStepContext["hits"] = [];
  readonly #used: string[] = [];
  readonly #contextHashes = new Map<string, Promise<string>>();
  readonly #consumed = new Set<string>();
  readonly #stageResults = new Map<number, Promise<StageState>>();
  #plan!: BuildPlan;
  #expander!: Expander;
  #metaArgs!: Map<string, string>;
  #ignorePatterns: string[] = [];
  #contextKept: Promise<ReadonlySet<string>> | undefined;
  #digestCache = new FileDigestCache();
  /** The base images' configs by name as written in FROM (expanded): the linter reads their ENV. */
  readonly #baseConfigs = new Map<string, ImageConfig>();
  #secrets: BuildSecrets | undefined;

  constructor(request: BuildRequest) {
    this.request = request;
    this.lease = request.store.lease();
    this.snapshots = new Snapshots(request.store);
  }

  emit(event: BuildEvent): void {
    this.request.onEvent?.(event);
  }

  /** Runs `work` as one progress vertex; `cached` work reports CACHED instead of DONE. */
  async vertex<T>(
    name: string,
    work: (id: number) => Promise<T>,
    isCached?: (value: T) => boolean,
  ): Promise<T> {
    const id = this.#nextVertex++;
    const started = performance.now();
    this.emit({ type: "vertex", id, name });
    try {
      const value = await work(id);
      if (isCached?.(value)) this.emit({ type: "cached", id });
      else this.emit({ type: "done", id, seconds: (performance.now() - started) / 1000 });
      return value;
    } catch (err) {
      this.emit({
        type: "error",
        id,
        seconds: (performance.now() - started) / 1000,
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  async run(): Promise<BuildResult> {
    const r = this.request;
    // What a SIGKILLed build left (mounts, runc containers, scratch dirs) goes first; never fatal.
    await cleanStaleScratch(this.snapshots.tmpDir).catch(() => undefined);
    const name = r.dockerfilePath ?? "Dockerfile";
    const parsed = await this.vertex(`[internal] load build definition from ${basename(name)}`, async () => {
      const syntax = detectSyntax(r.dockerfile);
      if (syntax && !DOCKERFILE_FRONTENDS.test(syntax.value)) {
        throw new WharfError(
          "BUILD_FRONTEND_UNSUPPORTED",
          `unsupported frontend ${syntax.value}: wharf builds Dockerfiles only (# syntax=docker/dockerfile)`,
          { syntax: syntax.value },
        );
      }
      const result = parseDockerfile(r.dockerfile);
      return { result, stages: parseStages(result.ast) };
    });
    this.#expander = new Expander(parsed.result.escapeToken);
    if (r.contextDir !== "") {
      this.#ignorePatterns = await this.vertex("[internal] load .dockerignore", async () => {
        const choice = r.dockerfilePath && r.dockerfilePath !== "-" ? { dockerfile: r.dockerfilePath } : {};
        return (await readContextIgnorePatterns({ contextDir: r.contextDir, ...choice })).patterns;
      });
    }
    if (r.contextDir !== "") this.#digestCache = await loadFileDigests(r.store.paths.buildDir, r.contextDir);
    this.#metaArgs = this.#resolveMetaArgs(parsed.stages.metaArgs);
    this.#plan = planStages(parsed.stages, this.#metaArgs, this.#expander, r.target);
    this.#secrets = await BuildSecrets.open(r.secrets, this.snapshots);
    try {
      for (const index of this.#plan.order) this.#stage(index);
      const state = await this.#stage(this.#plan.target);
      await Promise.all([...this.#stageResults.values()]);
      if (Object.keys(r.labels).length > 0) state.run.Labels = { ...(state.run.Labels ?? {}), ...r.labels };
      const epoch =
        r.sourceDateEpoch === undefined
          ? undefined
          : new Date(r.sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z");
      fillHistoryTimes(state, epoch);
      const lint = this.#lint(parsed.result);
      const documents = imageDocuments(state);
      if (r.contextDir !== "") saveFileDigests(r.store.paths.buildDir, r.contextDir, this.#digestCache);
      await this.lease.addAll(this.#hits.map((h) => h.digest));
      await touchBuildCache(
        r.store.db,
        this.#hits.map((h) => h.key),
      );
      const unusedArgs = Object.keys(r.buildArgs).filter((k) => !this.#consumed.has(k) && !isPredefined(k));
      return {
        documents,
        layers: state.layers,
        platform: {
          os: state.config.os,
          architecture: state.config.architecture,
          ...(state.config.variant ? { variant: state.config.variant } : {}),
        },
        created: state.config.created,
        source: new DocumentsSource(r.store, documents),
        unusedArgs,
        lintWarnings: lint,
        cacheEntries: () =>
          [...new Set(this.#used)]
            .map((key) => lookupBuildCache(r.store.db, key))
            .filter((e): e is BuildCacheEntry => e !== undefined),
        nextVertex: () => this.#nextVertex++,
        rootfs: () => this.#rootfs(state),
        release: () => this.lease.release(),
      };
    } finally {
      await this.#secrets?.release();
    }
  }

  /**
   * BuildKit's build checks, over the stages the target needs, with the bases' configs (their ENV
   * and SHELL decide UndefinedVar and JSONArgsRecommended). `# check=error=true` fails the build.
   */
  #lint(parsed: ParseResult): LintWarning[] {
    const r = this.request;
    const lint = lintDockerfile(r.dockerfile, {
      parsed,
      buildArgs: r.buildArgs,
      target: r.target ?? "",
      targetPlatform: r.platform,
      buildPlatform: defaultPlatform(),
      baseImage: (name) => {
        const config = this.#baseConfigs.get(name);
        if (!config) return undefined;
        return {
          env: config.config?.Env ?? [],
          shell: config.config?.Shell ?? [],
          platform: {
            os: config.os,
            architecture: config.architecture,
            ...(config.variant ? { variant: config.variant } : {}),
          },
        };
      },
    });
    if (lint.failure) {
      throw new WharfError("BUILD_LINT_FAILED", lint.failure, { warnings: lint.warnings.length });
    }
    return lint.warnings;
  }

  /** Meta ARGs (before the first FROM) over the predefined platform ARGs, with --build-arg values. */
  #resolveMetaArgs(
    metaArgs: readonly { args: { key: string; value: string | undefined }[] }[],
  ): Map<string, string> {
    const scope = platformArgs(defaultPlatform(), this.request.platform);
    for (const cmd of metaArgs) {
      for (const arg of cmd.args) {
        if (Object.hasOwn(this.request.buildArgs, arg.key)) {
          scope.set(arg.key, this.request.buildArgs[arg.key]!);
          this.#consumed.add(arg.key);
        } else if (arg.value !== undefined) {
          scope.set(arg.key, this.#expander.word(arg.value, scope));
        }
      }
    }
    return scope;
  }

  #stage(index: number): Promise<StageState> {
    let result = this.#stageResults.get(index);
    if (!result) {
      result = this.#buildStage(this.#plan.stages[index]!);
      this.#stageResults.set(index, result);
    }
    return result;
  }

  /** A stage waits for its base stage only; a `COPY --from` waits for its source when it gets there. */
  async #buildStage(planned: PlannedStage): Promise<StageState> {
    // BuildKit's prefixCommand: `[name k/n]`, n counting the base's ONBUILD triggers too.
    const counter = { index: 0, total: planned.total };
    const label = (text: string) => {
      counter.index += 1;
      const width = String(counter.total).length;
      const prefix = planned.label ? `${planned.label} ` : "";
      return `[${prefix}${String(counter.index).padStart(width)}/${counter.total}] ${text}`;
    };
    const state = await this.#baseState(planned, label, (triggers) => {
      counter.total += triggers;
    });
    const vars = new StageVars(
      state.run.Env,
      new Map(Object.entries(this.request.buildArgs)),
      this.#metaArgs,
      this.#consumed,
    );
    const triggers = state.run.OnBuild ?? [];
    state.run.OnBuild = null;
    const commands: { cmd: Command; onbuild: boolean }[] = [
      ...triggers.map((t) => ({ cmd: parseTrigger(t), onbuild: true })),
      ...planned.stage.commands.map((cmd) => ({ cmd, onbuild: false })),
    ];
    for (const { cmd, onbuild } of commands) {
      try {
        await this.#command(
          cmd,
          state,
          vars,
          planned,
          onbuild ? (t: string) => label(`ONBUILD ${t}`) : label,
        );
      } catch (err) {
        throw locate(err, cmd.startLine, cmd.endLine);
      }
    }
    return state;
  }

  async #baseState(
    planned: PlannedStage,
    label: (text: string) => string,
    countTriggers: (n: number) => void,
  ): Promise<StageState> {
    const { base } = planned;
    const platform = this.#stagePlatform(planned);
    if (base.kind === "stage") {
      // No vertex: BuildKit's stage inherits its base stage's state as it is.
      const parent = await this.#stage(base.index);
      const state = new StageState(parent.config, parent.layers, parent.cacheKey);
      state.history = structuredClone(parent.history);
      state.layerTimes = [...parent.layerTimes];
      countTriggers(state.run.OnBuild?.length ?? 0);
      return state;
    }
    if (base.kind === "scratch") {
      return new StageState(scratchConfig(platform), [], baseKey("scratch", formatPlatform(platform)));
    }
    const name = displayReference(base.name);
    let ref: ManifestRef;
    try {
      ref = await this.vertex(`[internal] load metadata for ${name}`, () =>
        this.request.resolveBase(base.name, platform),
      );
    } catch (err) {
      throw locate(err, planned.stage.startLine, planned.stage.endLine);
    }
    const image = await loadBaseImage(this.request.store, ref, this.lease);
    this.#baseConfigs.set(base.name, image.config);
    countTriggers(image.config.config?.OnBuild?.length ?? 0);
    await this.vertex(label(`FROM ${name}@${ref.digest}`), async () => undefined);
    return new StageState(image.config, image.layers, baseKey(ref.digest, formatPlatform(platform)));
  }

  async #command(
    cmd: Command,
    state: StageState,
    vars: StageVars,
    planned: PlannedStage,
    label: (text: string) => string,
  ): Promise<void> {
    if (applyMetadata(cmd, state, vars, this.#expander)) return;
    const ctx = this.#layerContext(planned);
    const name = label(displayName(cmd, this.#expander, vars));
    switch (cmd.type) {
      case "RUN":
        await this.vertex(
          name,
          (id) =>
            runInstruction(
              {
                ...ctx,
                platform: this.#stagePlatform(planned),
                network: this.request.network,
                addHosts: this.request.addHosts,
                secretFile: (secretId) => this.#secrets?.file(secretId),
                ...(this.#secrets?.dir ? { secretsDir: this.#secrets.dir } : {}),
                mountSource: (from) => this.#mountSource(from, planned),
                cacheMountDir: (cacheId) => this.snapshots.cacheMountDir(cacheId),
                ...(this.request.signal ? { signal: this.request.signal } : {}),
                onOutput: (stream, data) => this.emit({ type: "log", id, stream, data }),
              } satisfies RunContext,
              cmd,
              state,
              vars,
              this.#expander,
            ),
          (cached) => cached,
        );
        return;
      case "COPY":
      case "ADD": {
        const resolved = await this.#copySource(cmd.type === "COPY" ? cmd.from : "", planned);
        await this.vertex(
          name,
          () => copyInstruction(ctx, cmd, state, vars, this.#expander, resolved),
          (c) => c,
        );
        return;
      }
      case "WORKDIR":
        await this.vertex(
          name,
          () => workdirInstruction(ctx, cmd, state, vars, this.#expander),
          (c) => c,
        );
        return;
      default:
        throw new WharfError("BUILD_INVALID", `unknown instruction: ${(cmd as Command).name}`);
    }
  }

  #layerContext(planned: PlannedStage): LayerStepContext {
    const r = this.request;
    return {
      store: r.store,
      snapshots: this.snapshots,
      lease: this.lease,
      noCache: r.noCache,
      writeBlob: r.blobsOfEveryStage === true || this.#plan.imageStages.has(planned.index),
      compression: r.compression,
      sourceDateEpoch: r.sourceDateEpoch,
      hits: this.#hits,
      used: this.#used,
      contextHashes: this.#contextHashes,
      digestCache: this.#digestCache,
    };
  }

  async #rootfs(state: StageState): Promise<{ dir: string; release(): Promise<void> }> {
    const view = await this.#readOnlyView(state.layers);
    return { dir: view.root, release: view.release };
  }

  /** A read-only view of a layer stack: an overlay of its snapshots (an empty dir for none). */
  async #readOnlyView(layers: StageState["layers"]): Promise<{ root: string; release(): Promise<void> }> {
    const lowerDirs = await this.snapshots.lowerDirs(layers);
    const scratch = await this.snapshots.scratch();
    if (lowerDirs.length === 0) {
      await mkdir(join(scratch, "empty"));
      return { root: join(scratch, "empty"), release: () => rm(scratch, { recursive: true, force: true }) };
    }
    const { mountOverlay } = await import("../run/overlay-mount.ts");
    const mount = await mountOverlay({ lowerDirs, scratchDir: scratch });
    return {
      root: mount.merged,
      release: async () => {
        await mount.unmount();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  }

  /** `FROM --platform=X` (expanded with the meta ARGs, e.g. $BUILDPLATFORM), else the build's target. */
  #stagePlatform(planned: PlannedStage): Platform {
    const written = planned.stage.platform;
    if (!written) return this.request.platform;
    const expanded = this.#expander.word(written, this.#metaArgs);
    try {
      return parsePlatform(expanded);
    } catch (err) {
      throw locate(
        new WharfError("BUILD_INVALID", `failed to parse platform ${expanded}: ${(err as Error).message}`),
        planned.stage.startLine,
        planned.stage.endLine,
      );
    }
  }

  /** The root a `RUN --mount=type=bind` reads: the context, or a stage's or image's root. */
  async #mountSource(from: string, planned: PlannedStage): Promise<MountSource> {
    const resolved = await this.#copySource(from, planned);
    const opened = await resolved.open();
    return {
      root: opened.source.root,
      ...(resolved.contentKey ? { contentKey: resolved.contentKey } : {}),
      ...(opened.source.excludes ? { excludes: opened.source.excludes } : {}),
      release: opened.release,
    };
  }

  /** The root a COPY reads: the context, an earlier stage's root, or an image's. */
  async #copySource(from: string, planned: PlannedStage): Promise<ResolvedCopySource> {
    if (!from) {
      const root = this.request.contextDir;
      const excludes = this.#ignorePatterns;
      // The context as the build sees it, listed once for every COPY (fsutil's filtered walk).
      if (excludes.length > 0) {
        this.#contextKept ??= listContext(root, [{ excludePatterns: excludes }]).then(
          (entries) => new Set(entries.map((e) => e.path)),
        );
      }
      const source = { root, excludes, ...(this.#contextKept ? { kept: this.#contextKept } : {}) };
      return { open: async () => ({ source, release: async () => undefined }) };
    }
    const expanded = this.#expander.word(from, this.#metaArgs);
    const byName = new Map(this.#plan.stages.filter((s) => s.stage.name).map((s) => [s.stage.name, s.index]));
    const index = stageRef(expanded, byName, planned.index);
    let layers: StageState["layers"];
    let contentKey: string;
    if (index !== undefined) {
      const source = await this.#stage(index);
      layers = source.layers;
      contentKey = source.cacheKey;
    } else {
      const ref = await this.vertex(`[internal] load metadata for ${expanded}`, () =>
        this.request.resolveBase(expanded, this.request.platform),
      );
      const image = await loadBaseImage(this.request.store, ref, this.lease);
      layers = image.layers;
      contentKey = ref.digest;
    }
    return {
      contentKey,
      from,
      open: async () => {
        const view = await this.#readOnlyView(layers);
        return { source: { root: view.root }, release: view.release };
      },
    };
  }
}

/**
 * The vertex name BuildKit shows: the instruction with variables expanded, its word upper-cased;
 * RUN keeps its quotes and unset variables as written (dispatchRun's RawQuotes, SkipUnsetEnv).
 */
function displayName(cmd: Command, expander: Expander, vars: StageVars): string {
  let text = cmd.code;
  try {
    text = cmd.type === "RUN" ? expander.raw(cmd.code, vars.all()) : expander.word(cmd.code, vars.all());
  } catch {
    // BuildKit keeps the text as written when it cannot be expanded.
  }
  const space = text.indexOf(" ");
  return space < 0 ? text.toUpperCase() : text.slice(0, space).toUpperCase() + text.slice(space);
}

function parseTrigger(expression: string): Command {
  const parsed = parseDockerfile(expression);
  const node = parsed.ast.children[0];
  if (!node || parsed.ast.children.length !== 1) {
    throw new WharfError("BUILD_INVALID", "onbuild trigger should be a single expression");
  }
  return parseCommand(node);
}

/** A base image's name as BuildKit shows it: normalised (`docker.io/library/busybox:latest`). */
function displayReference(name: string): string {
  try {
    return referenceString(tagNameOnly(parseNormalizedNamed(name)));
  } catch {
    return name;
  }
}

function isPredefined(name: string): boolean {
  return (
    /^(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT)$/.test(name) ||
    /^(HTTPS?|FTP|NO|ALL)_PROXY$/i.test(name) ||
    name === "SOURCE_DATE_EPOCH"
  );
}

function basename(path: string): string {
  return path === "-" ? "Dockerfile" : (path.split("/").pop() ?? path);
}

/** Attaches the instruction's lines to a step's error (once: the innermost step wins). */
function locate(err: unknown, startLine: number, endLine: number): unknown {
  if (!isWharfError(err) || err.detail.startLine !== undefined) return err;
  return new WharfError(err.code, err.message, { ...err.detail, startLine, endLine }, { cause: err });
}
