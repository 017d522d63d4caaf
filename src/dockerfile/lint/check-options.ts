/**
 * The check configuration: `# check=skip=A,B;error=true;experimental=C` (the directive, a
 * BUILDKIT_DOCKERFILE_CHECK build arg, or a `# check=...` comment right above one instruction).
 * A port of BuildKit's linter.ParseLintOptions, with its messages.
 */
import { WharfError } from "../../errors.ts";
import { goQuote, goTrimSpace } from "../go-text.ts";

export interface CheckOptions {
  skipAll: boolean;
  skipRules: string[];
  experimentalAll: boolean;
  experimentalRules: string[];
  /** `error=true`: warnings fail the build. */
  errorOnWarnings: boolean;
}

/** Every rule on (experimental ones off), warnings only. */
export function defaultCheckOptions(): CheckOptions {
  return {
    skipAll: false,
    skipRules: [],
    experimentalAll: false,
    experimentalRules: [],
    errorOnWarnings: false,
  };
}

/** Throws DOCKERFILE_PARSE with BuildKit's message (`invalid check option "x"`). */
export function parseCheckOptions(value: string): CheckOptions {
  const text = goTrimSpace(value);
  const options = defaultCheckOptions();
  if (text === "") return options;
  // strings.SplitN(s, ";", 3): a third part keeps any further semicolons.
  for (const part of splitN(text, ";", 3)) {
    const eq = part.indexOf("=");
    if (eq < 0) throw checkError(`invalid check option ${goQuote(part)}`);
    const key = goTrimSpace(part.slice(0, eq));
    const raw = goTrimSpace(part.slice(eq + 1));
    switch (key) {
      case "skip":
        if (raw === "all") options.skipAll = true;
        else options.skipRules = raw.split(",").map(goTrimSpace);
        break;
      case "experimental":
        if (raw === "all") options.experimentalAll = true;
        else options.experimentalRules = raw.split(",").map(goTrimSpace);
        break;
      case "error": {
        const parsed = parseGoBool(raw);
        if (parsed === undefined)
          throw checkError(
            `failed to parse check option ${goQuote(part)}: strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`,
          );
        options.errorOnWarnings = parsed;
        break;
      }
      default:
        throw checkError(`invalid check option ${goQuote(key)}`);
    }
  }
  return options;
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** strconv.ParseBool's spellings. */
function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

function checkError(message: string): WharfError {
  return new WharfError("DOCKERFILE_PARSE", message, { reason: message, directive: "check" });
}
