/**
 * One stage's image as it is being built: the config (Docker's image config), its history, the layer
 * stack, the ARGs in scope and the cache key of the last step. Steps change it in order.
 */
import type { ContainerConfig, History, ImageConfig } from "../../oci/config.ts";
import type { Platform } from "../../oci/platform.ts";
import { envMap } from "./scope.ts";
import type { LayerRef } from "./snapshots.ts";

/** BuildKit's system.DefaultPathEnv for Linux: a stage without PATH gets it. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class StageState {
  config: ImageConfig;
  /** The history as it will be written; `created` filled at export. */
  history: History[];
  layers: LayerRef[];
  /** When each layer was made (RFC 3339), in step with `layers` for the layers this build made. */
  layerTimes: string[];
  /** The stage's ARGs (name -> value), in declaration order: BuildKit's d.buildArgs. */
  args = new Map<string, string>();
  cacheKey: string;
  /** The base's created time: the history time of steps before this build's first layer. */
  readonly baseCreated: string | undefined;

  constructor(config: ImageConfig, layers: LayerRef[], cacheKey: string) {
    this.config = structuredClone(config);
    this.config.config ??= {};
    this.history = structuredClone(config.history ?? []);
    this.layers = [...layers];
    this.layerTimes = layers.map(() => config.created ?? "");
    this.cacheKey = cacheKey;
    this.baseCreated = config.created;
    const env = this.run.Env ?? [];
    if (!env.some((e) => e.startsWith("PATH="))) this.run.Env = [...env, `PATH=${DEFAULT_PATH}`];
  }

  /** The config's `config`: how a container of the image runs. */
  get run(): ContainerConfig {
    return this.config.config!;
  }

  get env(): Map<string, string> {
    return envMap(this.run.Env);
  }

  setEnv(key: string, value: string): void {
    const env = [...(this.run.Env ?? [])];
    const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
    if (i >= 0) env[i] = `${key}=${value}`;
    else env.push(`${key}=${value}`);
    this.run.Env = env;
  }

  get workdir(): string {
    return this.run.WorkingDir || "/";
  }

  get shell(): string[] {
    return this.run.Shell && this.run.Shell.length > 0 ? this.run.Shell : ["/bin/sh", "-c"];
  }

  /** A history entry for a step that made no layer. */
  addMetadataHistory(createdBy: string): void {
    this.history.push({ created_by: createdBy, comment: "buildkit.dockerfile.v0", empty_layer: true });
  }

  addLayer(layer: LayerRef, createdBy: string, created: string): void {
    this.layers.push(layer);
    this.layerTimes.push(created);
    this.history.push({ created, created_by: createdBy, comment: "buildkit.dockerfile.v0" });
  }
}

/** The empty image of `FROM scratch`. */
export function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [`PATH=${DEFAULT_PATH}`] },
    rootfs: { type: "layers", diff_ids: [] },
  };
}
