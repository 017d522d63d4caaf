/**
 * A stage's variables as BuildKit's llb state holds them: the base image's Env, then each ARG with a
 * value and each ENV, in order, later ones winning. Expansion and RUN's environment read this; the
 * image config gets only ENV. `declareArg` is dispatchArg: a --build-arg value, else the default,
 * else the meta ARG of the same name.
 */
import { envMap } from "./scope.ts";

export class StageVars {
  readonly #vars: Map<string, string>;
  /** The stage's ARGs in order (BuildKit's d.buildArgs): RUN's history shows them as `|N K=V`. */
  readonly args: { key: string; value: string | undefined }[] = [];
  readonly #buildArgs: ReadonlyMap<string, string>;
  readonly #metaArgs: ReadonlyMap<string, string>;
  /** --build-arg names some ARG consumed (for the "not consumed" warning). */
  readonly consumed: Set<string>;
  /** CMD was set in this stage: ENTRYPOINT then keeps it. */
  cmdSet = false;

  constructor(
    baseEnv: readonly string[] | null | undefined,
    buildArgs: ReadonlyMap<string, string>,
    metaArgs: ReadonlyMap<string, string>,
    consumed: Set<string>,
  ) {
    this.#vars = envMap(baseEnv);
    this.#buildArgs = buildArgs;
    this.#metaArgs = metaArgs;
    this.consumed = consumed;
  }

  all(): ReadonlyMap<string, string> {
    return this.#vars;
  }

  set(key: string, value: string): void {
    this.#vars.delete(key);
    this.#vars.set(key, value);
  }

  /** Declares an ARG; `expandedDefault` is its default already expanded. Returns its value. */
  declareArg(key: string, expandedDefault: string | undefined): string | undefined {
    let value = expandedDefault;
    if (this.#buildArgs.has(key)) {
      value = this.#buildArgs.get(key);
      this.consumed.add(key);
    } else if (value === undefined && this.#metaArgs.has(key)) {
      value = this.#metaArgs.get(key);
    }
    if (value !== undefined) this.set(key, value);
    this.args.push({ key, value });
    return value;
  }

  /** The environment of a RUN: every variable, as `K=V`. */
  runEnv(): string[] {
    return [...this.#vars].map(([k, v]) => `${k}=${v}`);
  }

  /** BuildKit's runCommandString prefix: `|N K=V ...` for the stage's ARGs ("" when none). */
  argsPrefix(): string {
    const seen = new Map<string, string>();
    for (const arg of this.args) seen.set(arg.key, this.#vars.get(arg.key) ?? arg.value ?? "");
    if (seen.size === 0) return "";
    return [`|${seen.size}`, ...[...seen].map(([k, v]) => `${k}=${v}`)].join(" ");
  }
}
