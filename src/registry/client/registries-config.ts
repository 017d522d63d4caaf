/**
 * wharf's own registry settings file, the counterpart of dockerd's `insecure-registries` and
 * `/etc/docker/certs.d`: `$XDG_CONFIG_HOME/wharf/registries.json` (default
 * `~/.config/wharf/registries.json`), all keys optional:
 *
 *     {
 *       "insecureRegistries": ["myregistry.lan:5000", "10.0.0.0/8"],
 *       "ca": { "myregistry.lan:5443": "/etc/ssl/private-ca.pem" }
 *     }
 *
 * `insecureRegistries`: hosts (host[:port]; no port = any port) or IPv4 CIDRs that may be spoken to
 * over plain HTTP, or over HTTPS without certificate verification (loopback hosts always may).
 * `ca`: per registry host, a PEM file of CA certificates trusted in addition to the system's.
 * A missing file is an empty configuration.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { WharfError } from "../../errors.ts";

export interface RegistriesConfig {
  readonly insecureRegistries: readonly string[];
  /** PEM file path by registry host[:port]. */
  readonly ca: Readonly<Record<string, string>>;
}

export const EMPTY_REGISTRIES_CONFIG: RegistriesConfig = Object.freeze({
  insecureRegistries: Object.freeze([]),
  ca: Object.freeze({}),
});

export function registriesConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "wharf", "registries.json");
}

function invalid(path: string, why: string, cause?: unknown): WharfError {
  return new WharfError(
    "REGISTRY_CONFIG_INVALID",
    `invalid registry configuration ${path}: ${why}`,
    { path },
    cause === undefined ? undefined : { cause },
  );
}

/** Reads the file (default: registriesConfigPath()); throws REGISTRY_CONFIG_INVALID when malformed. */
export async function loadRegistriesConfig(path: string = registriesConfigPath()): Promise<RegistriesConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_REGISTRIES_CONFIG;
    throw invalid(path, (err as Error).message, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(path, (err as Error).message, err);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid(path, "not a JSON object");
  }
  const { insecureRegistries = [], ca = {} } = parsed as { insecureRegistries?: unknown; ca?: unknown };
  if (!Array.isArray(insecureRegistries) || !insecureRegistries.every((e) => typeof e === "string")) {
    throw invalid(path, "insecureRegistries: expected an array of strings");
  }
  if (
    typeof ca !== "object" ||
    ca === null ||
    Array.isArray(ca) ||
    !Object.values(ca).every((v) => typeof v === "string")
  ) {
    throw invalid(path, "ca: expected an object of host -> PEM file path");
  }
  return { insecureRegistries: insecureRegistries as string[], ca: ca as Record<string, string> };
}
