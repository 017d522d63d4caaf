/**
 * Variables as BuildKit's dockerfile2llb sees them: build arguments (meta ARGs before the first FROM,
 * a stage's ARGs, --build-arg values, the predefined platform and proxy ARGs) and the stage's ENV.
 * Expansion looks ENV up before ARG (ENV wins), as BuildKit's dispatchState does.
 */
import { type EnvLookup, ShellLexer } from "../../dockerfile/shell-lexer.ts";
import { formatPlatform, type Platform } from "../../oci/platform.ts";

/** Usable in RUN without an ARG instruction, and never written to the history (BuildKit's proxy args). */
export const PROXY_ARGS: ReadonlySet<string> = new Set([
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "FTP_PROXY",
  "ftp_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
]);

/** BUILDPLATFORM, TARGETOS, ...: defined in the global scope; a stage brings them in with `ARG NAME`. */
export function platformArgs(build: Platform, target: Platform): Map<string, string> {
  const args = new Map<string, string>();
  for (const [prefix, p] of [
    ["BUILD", build],
    ["TARGET", target],
  ] as const) {
    args.set(`${prefix}PLATFORM`, formatPlatform(p));
    args.set(`${prefix}OS`, p.os);
    args.set(`${prefix}ARCH`, p.architecture);
    args.set(`${prefix}VARIANT`, p.variant ?? "");
  }
  return args;
}

/** The ENV of a config (`K=V` strings) as a map, later entries winning. */
export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const i = entry.indexOf("=");
    map.set(i < 0 ? entry : entry.slice(0, i), i < 0 ? "" : entry.slice(i + 1));
  }
  return map;
}

export class Expander {
  readonly #lexer: ShellLexer;
  readonly #rawLexer: ShellLexer;
  constructor(escapeToken: string) {
    this.#lexer = new ShellLexer({ escapeToken });
    this.#rawLexer = new ShellLexer({ escapeToken, rawQuotes: true, skipUnsetEnv: true });
  }

  /** Expanded for display: quotes kept, unset variables left as written. */
  raw(text: string, args: ReadonlyMap<string, string>, env?: ReadonlyMap<string, string>): string {
    return this.#rawLexer.processWord(text, lookup(args, env)).word;
  }

  /** One word, expanded with ARGs then ENV over them. */
  word(text: string, args: ReadonlyMap<string, string>, env?: ReadonlyMap<string, string>): string {
    return this.#lexer.processWord(text, lookup(args, env)).word;
  }

  /** Expanded and split into words (EXPOSE, VOLUME and the like). */
  words(text: string, args: ReadonlyMap<string, string>, env?: ReadonlyMap<string, string>): string[] {
    return this.#lexer.processWords(text, lookup(args, env));
  }
}

function lookup(args: ReadonlyMap<string, string>, env?: ReadonlyMap<string, string>): EnvLookup {
  return { get: (name) => env?.get(name) ?? args.get(name) };
}
