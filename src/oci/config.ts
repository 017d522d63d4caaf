/**
 * The image configuration (image-spec config.md), with the fields Docker adds. Docker's config JSON
 * (`application/vnd.docker.container.image.v1+json`) is the same document, so one schema reads both.
 * Unknown keys are kept: Docker writes many more (Hostname, Image, container_config, ...) that
 * `inspect` shows.
 */
import { z } from "zod";
import { DigestSchema } from "./descriptor.ts";

/**
 * RFC 3339 date-time (JSON Schema `format: date-time`, Go's time.RFC3339), with real ranges so that
 * "2015-13-45T..." is refused.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as Six;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  const offsetOk = m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60);
  // Second 60 is a leap second, which RFC 3339 allows.
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= days &&
    hour < 24 &&
    minute < 60 &&
    second <= 60 &&
    offsetOk
  );
}

type Six = [number, number, number, number, number, number];

const DateTimeSchema = z.string().refine(isDateTime, "invalid RFC 3339 date-time");
const strings = z.array(z.string());
/** JSON Schema's mapStringObject: a set encoded as `{"key": {}}`. */
const stringSet = z.record(z.string(), z.looseObject({}));

/**
 * image-spec checks Env entries against `^[^=]+=.*$`. Its Go regexp also refuses a newline in the
 * value, which Docker allows, so only the rule's intent is enforced: a non-empty name, then `=`.
 */
const EnvEntrySchema = z.string().refine((e) => e.indexOf("=") > 0, "must be NAME=value");

export interface HealthConfig {
  Test?: string[] | null;
  /** Durations are nanoseconds, as Docker writes them. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
  [key: string]: unknown;
}

/** `config` of the image config: how a container runs. `null` appears where Docker's Go marshals nil. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
  [key: string]: unknown;
}

const HealthConfigSchema = z.looseObject({
  Test: strings.nullable().optional(),
  Interval: z.number().int().optional(),
  Timeout: z.number().int().optional(),
  StartPeriod: z.number().int().optional(),
  StartInterval: z.number().int().optional(),
  Retries: z.number().int().optional(),
});

export const ContainerConfigSchema: z.ZodType<ContainerConfig> = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: stringSet.nullable().optional(),
  // Nullable unlike image-spec's schema: Docker writes `"Env": null` for an image without any.
  Env: z.array(EnvEntrySchema).nullable().optional(),
  Entrypoint: strings.nullable().optional(),
  Cmd: strings.nullable().optional(),
  Volumes: stringSet.nullable().optional(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
  StopSignal: z.string().optional(),
  ArgsEscaped: z.boolean().optional(),
  Healthcheck: HealthConfigSchema.nullable().optional(),
  OnBuild: strings.nullable().optional(),
  Shell: strings.nullable().optional(),
});

export interface History {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  /** True when this step made no layer: history and rootfs.diff_ids line up only without these. */
  empty_layer?: boolean;
  [key: string]: unknown;
}

const HistorySchema = z.looseObject({
  created: DateTimeSchema.optional(),
  author: z.string().optional(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

export interface RootFS {
  type: "layers";
  /** Digests of the uncompressed layer tars, base layer first. */
  diff_ids: string[];
  [key: string]: unknown;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFS;
  history?: History[];
  [key: string]: unknown;
}

export const ImageConfigSchema: z.ZodType<ImageConfig> = z.looseObject({
  created: DateTimeSchema.optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": strings.optional(),
  variant: z.string().optional(),
  config: ContainerConfigSchema.optional(),
  rootfs: z.looseObject({ type: z.literal("layers"), diff_ids: z.array(DigestSchema) }),
  history: z.array(HistorySchema).optional(),
});
