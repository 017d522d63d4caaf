/**
 * `wharf serve` configuration: a YAML file shaped like distribution's (http, storage, log, auth), with
 * environment variables over it and command-line flags over those. Every key is listed in
 * docs/SERVE.md; unknown keys are refused, so that a typo is not silently ignored.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { WharfError } from "../../errors.ts";

const Action = z.enum(["pull", "push", "delete"]);

const AccessRule = z.strictObject({
  /** An account name, "*" (any authenticated account) or "anonymous". */
  account: z.string().min(1),
  /** A repository name or a glob ("*" within a path component, "**" across them). */
  repository: z.string().min(1),
  actions: z.array(Action).min(1),
});

export const ServeConfigSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  http: z
    .strictObject({
      addr: z.string().default("127.0.0.1:5000"),
      tls: z.strictObject({ certificate: z.string(), key: z.string() }).optional(),
      /** Seconds a request may take to arrive whole (headers and body); 0: no limit. */
      requesttimeout: z.number().int().nonnegative().default(0),
      /** Seconds a client may take to send a request's headers (slow clients give the connection back). */
      headertimeout: z.number().int().positive().default(30),
      /** Seconds before an idle keep-alive connection is closed. */
      idletimeout: z.number().int().positive().default(75),
      /** Connections at once, beyond which new ones are refused. */
      maxconnections: z.number().int().positive().default(1024),
    })
    .prefault({}),
  storage: z
    .strictObject({
      filesystem: z.strictObject({ rootdirectory: z.string().optional() }).prefault({}),
      delete: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      accesslog: z.strictObject({ disabled: z.boolean().default(false) }).prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      htpasswd: z.strictObject({ realm: z.string().default("wharf"), path: z.string() }).optional(),
      token: z
        .strictObject({
          /** The token endpoint clients are sent to; default: this server's /token. */
          realm: z.string().optional(),
          service: z.string().default("wharf"),
          issuer: z.string().default("wharf"),
          /** HMAC secret for the tokens (HS256); default: a random one per start. */
          secret: z.string().min(32).optional(),
          /** Token lifetime, seconds. */
          expiration: z.number().int().positive().default(300),
          /** Refresh token (identity token) lifetime, seconds; default 90 days. */
          refreshexpiration: z
            .number()
            .int()
            .positive()
            .default(90 * 24 * 3600),
        })
        .optional(),
      /** Anonymous clients may pull every repository (default false when auth is on). */
      anonymouspull: z.boolean().default(false),
    })
    .optional(),
  /** Who may do what, checked after authentication; default: every account may do everything. */
  access: z.array(AccessRule).optional(),
  metrics: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
});

export type ServeConfig = z.infer<typeof ServeConfigSchema>;
export type AccessRuleConfig = z.infer<typeof AccessRule>;

/** Environment variables and the keys they set (over the file, under the flags). */
export const ENVIRONMENT: Record<string, string[]> = {
  WHARF_SERVE_ADDR: ["http", "addr"],
  WHARF_SERVE_STORAGE: ["storage", "filesystem", "rootdirectory"],
  WHARF_SERVE_LOG_LEVEL: ["log", "level"],
  WHARF_SERVE_ACCESS_LOG_DISABLED: ["log", "accesslog", "disabled"],
  WHARF_SERVE_DELETE_ENABLED: ["storage", "delete", "enabled"],
  WHARF_SERVE_TLS_CERTIFICATE: ["http", "tls", "certificate"],
  WHARF_SERVE_TLS_KEY: ["http", "tls", "key"],
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function envValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  return raw;
}

/**
 * The configuration from a file (optional), the environment and flag overrides (key paths to
 * values). Throws SERVER_CONFIG_INVALID naming the file and the key.
 */
export function loadServeConfig(
  file: string | undefined,
  overrides: [string[], unknown][] = [],
  env: NodeJS.ProcessEnv = process.env,
): ServeConfig {
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new WharfError("SERVER_CONFIG_INVALID", `cannot read config ${file}: ${(err as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      throw new WharfError(
        "SERVER_CONFIG_INVALID",
        `config ${file}: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    if (typeof raw !== "object" || Array.isArray(raw)) {
      throw new WharfError("SERVER_CONFIG_INVALID", `config ${file}: not a mapping of keys`);
    }
  }
  for (const [name, path] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(raw, path, envValue(value));
  }
  for (const [path, value] of overrides) if (value !== undefined) setPath(raw, path, value);
  const parsed = ServeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join(".") || "(top level)";
    throw new WharfError(
      "SERVER_CONFIG_INVALID",
      `config${file ? ` ${file}` : ""}: ${where}: ${issue.message}`,
      { path: issue.path },
    );
  }
  return parsed.data;
}
