/**
 * The `--name[=value]` flags of an instruction, a TypeScript port of BuildKit's
 * frontend/dockerfile/instructions/bflag.go: each instruction declares the flags it knows, then
 * `parse()` checks the words the parser extracted and fails with BuildKit's messages. An
 * instruction that never calls `parse()` (ARG, STOPSIGNAL upstream) accepts any flag.
 */
import { instructionError } from "./instruction-error.ts";
import { withSuggestion } from "./suggest.ts";

type FlagType = "bool" | "string" | "strings";

export class BuildFlag {
  /** For a bool flag "true" or "false"; for a string flag its value (or the default). */
  value = "";
  /** Every value of a repeatable (strings) flag, in order. */
  readonly values: string[] = [];

  readonly name: string;
  readonly type: FlagType;

  constructor(name: string, type: FlagType) {
    this.name = name;
    this.type = type;
  }

  isTrue(): boolean {
    return this.value === "true";
  }
}

export class BuildFlags {
  private readonly flags = new Map<string, BuildFlag>();
  private readonly usedFlags = new Map<string, BuildFlag>();
  private setupError: string | undefined;

  /** The flag words of the instruction (the parser's Node.flags). */
  readonly args: readonly string[];

  constructor(args: readonly string[]) {
    this.args = args;
  }

  addBool(name: string, defaultValue: boolean): BuildFlag {
    const flag = this.add(name, "bool");
    flag.value = defaultValue ? "true" : "false";
    return flag;
  }

  addString(name: string, defaultValue: string): BuildFlag {
    const flag = this.add(name, "string");
    flag.value = defaultValue;
    return flag;
  }

  addStrings(name: string): BuildFlag {
    return this.add(name, "strings");
  }

  /** Whether the flag was given (a default is not a use). */
  isUsed(name: string): boolean {
    return this.usedFlags.has(name);
  }

  /** The names of the flags given, in the order first given (BuildKit's order is a map's: random). */
  used(): string[] {
    return [...this.usedFlags.keys()];
  }

  parse(): void {
    if (this.setupError !== undefined) throw instructionError(`error setting up flags: ${this.setupError}`);
    for (const arg of this.args) {
      if (arg === "--") return;
      if (!arg.startsWith("--")) throw instructionError(`arg should start with -- : ${arg}`);
      const eq = arg.indexOf("=");
      const flagName = eq === -1 ? arg : arg.slice(0, eq);
      const hasValue = eq !== -1;
      const value = hasValue ? arg.slice(eq + 1) : "";
      const name = flagName.slice(2);
      const flag = this.flags.get(name);
      if (flag === undefined) {
        const message = withSuggestion(`unknown flag: ${flagName}`, name, [...this.flags.keys()], true);
        throw instructionError(message, { flag: flagName });
      }
      if (this.usedFlags.has(name) && flag.type !== "strings")
        throw instructionError(`duplicate flag specified: ${flagName}`, { flag: flagName });
      this.usedFlags.set(name, flag);
      if (flag.type === "bool") {
        if (hasValue && value === "") throw instructionError(`missing a value on flag: ${flagName}`);
        const lower = value.toLowerCase();
        if (lower === "true" || lower === "") flag.value = "true";
        else if (lower === "false") flag.value = "false";
        else throw instructionError(`expecting boolean value for flag ${flagName}, not: ${value}`);
        continue;
      }
      if (!hasValue) throw instructionError(`missing a value on flag: ${flagName}`);
      if (flag.type === "string") flag.value = value;
      else flag.values.push(value);
    }
  }

  private add(name: string, type: FlagType): BuildFlag {
    // BuildKit records a second definition as a setup error that parse() reports.
    if (this.flags.has(name)) this.setupError ??= `Duplicate flag defined: ${name}`;
    const flag = new BuildFlag(name, type);
    if (!this.flags.has(name)) this.flags.set(name, flag);
    return flag;
  }
}
