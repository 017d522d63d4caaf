/**
 * `wharf lint`'s config file: `.wharf-lint.yaml` in the build context, or the file given with
 * `--config FILE`. YAML, every key optional:
 *
 *     ignored: [DL3008, WL1001, JSONArgsRecommended]   # codes never reported
 *     failure-threshold: warning   # error | warning | info | style | none (--failure-threshold wins)
 *     trusted-registries:          # DL3026: FROM only from these (none listed: any registry)
 *       - docker.io                # Docker Hub (also: index.docker.io, hub.docker.com)
 *       - "*.example.com"          # every registry under example.com
 *
 * hadolint's spelling `trustedRegistries` is accepted for the list. Any other key is refused, so
 * that a misspelt one does not pass silently. An empty file is no settings. Parsing only: the
 * caller reads the file.
 */
import { parse } from "yaml";
import { WharfError } from "../../errors.ts";
import { THRESHOLDS, type Threshold } from "./practice/finding.ts";

export const LINT_CONFIG_FILE = ".wharf-lint.yaml";

export interface LintConfig {
  ignored: string[];
  /** Undefined: not set in the file. */
  failureThreshold: Threshold | undefined;
  trustedRegistries: string[];
}

export function emptyLintConfig(): LintConfig {
  return { ignored: [], failureThreshold: undefined, trustedRegistries: [] };
}

const KEYS = ["ignored", "failure-threshold", "trusted-registries", "trustedRegistries"];

/** `file` names the file in errors. Throws USAGE (exit 125, like a bad flag value) when it is not a valid config. */
export function parseLintConfig(text: string, file: string): LintConfig {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    const reason = ((err as Error).message.split("\n")[0] ?? "").trim();
    throw configError(file, `invalid YAML: ${reason}`);
  }
  const config = emptyLintConfig();
  if (data === null || data === undefined) return config;
  if (typeof data !== "object" || Array.isArray(data))
    throw configError(
      file,
      "expected a mapping of settings (ignored, failure-threshold, trusted-registries)",
    );
  for (const [key, value] of Object.entries(data)) {
    switch (key) {
      case "ignored":
        config.ignored = stringList(file, key, value);
        break;
      case "failure-threshold":
        if (typeof value !== "string" || !(THRESHOLDS as readonly string[]).includes(value))
          throw configError(
            file,
            `failure-threshold must be one of ${THRESHOLDS.join(", ")}, not ${JSON.stringify(value)}`,
          );
        config.failureThreshold = value as Threshold;
        break;
      case "trusted-registries":
      case "trustedRegistries":
        config.trustedRegistries = stringList(file, key, value);
        break;
      default:
        throw configError(
          file,
          `unknown setting ${JSON.stringify(key)} (known: ${KEYS.slice(0, 3).join(", ")})`,
        );
    }
  }
  return config;
}

function stringList(file: string, key: string, value: unknown): string[] {
  if (value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.trim() !== ""))
    throw configError(file, `${key} must be a list of names`);
  return value.map((v: string) => v.trim());
}

function configError(file: string, reason: string): WharfError {
  return new WharfError("USAGE", `invalid lint config ${file}: ${reason}`, { file, reason });
}
