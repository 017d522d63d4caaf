/**
 * wharf's top-level commands, each registered by a module of its own that is loaded only when needed:
 * a command line that names one command builds (and loads) that command alone, which is most of what
 * `wharf version` or a cached `wharf build` would otherwise spend before doing anything.
 */
import type { Command } from "commander";

type Register = (program: Command) => void;

const register = {
  version: async () => (await import("./commands/version.ts")).registerVersion,
  pull: async () => (await import("./commands/pull.ts")).registerPull,
  push: async () => (await import("./commands/push.ts")).registerPush,
  login: async () => (await import("./commands/login.ts")).registerLogin,
  manifest: async () => (await import("./commands/manifest.ts")).registerManifest,
  images: async () => (await import("./commands/images.ts")).registerImages,
  image: async (): Promise<Register> => {
    const [{ registerImage }, pull, push] = await Promise.all([
      import("./commands/image.ts"),
      register.pull(),
      register.push(),
    ]);
    return (program) => {
      const image = registerImage(program);
      // docker image pull / push are docker pull / push.
      pull(image);
      push(image);
    };
  },
  inspect: async () => (await import("./commands/inspect.ts")).registerInspect,
  history: async () => (await import("./commands/history.ts")).registerHistory,
  tag: async () => (await import("./commands/tag.ts")).registerTag,
  rmi: async () => (await import("./commands/rmi.ts")).registerRmi,
  system: async () => (await import("./commands/system.ts")).registerSystem,
  save: async () => (await import("./commands/save.ts")).registerSave,
  load: async () => (await import("./commands/load.ts")).registerLoad,
  serve: async () => (await import("./commands/serve.ts")).registerServe,
  copy: async () => (await import("./commands/copy.ts")).registerCopy,
  build: async () => (await import("./commands/build.ts")).registerBuild,
  lint: async () => (await import("./commands/lint.ts")).registerLint,
  builder: async () => (await import("./commands/builder.ts")).registerBuilder,
  scan: async () => (await import("./commands/scan.ts")).registerScan,
  sbom: async () => (await import("./commands/sbom.ts")).registerSbom,
  pin: async () => (await import("./commands/pin.ts")).registerPin,
} satisfies Record<string, () => Promise<Register>>;

type Name = keyof typeof register;

/** In `wharf --help`'s order. */
const ORDER = Object.keys(register) as Name[];

/** Names a module registers besides its own (aliases and sibling commands). */
const ALSO: Record<string, Name> = { logout: "login", cp: "copy", scout: "scan" };

/** The global options that take a value (program.ts declares them). */
const VALUED_GLOBALS = new Set(["--root", "--insecure-registry"]);

/**
 * The one command `argv` invokes, or undefined when the whole tree is needed: no command, help of
 * the root, a word that is no command (its error lists nothing, but stays commander's), `help`.
 */
export function invokedCommand(argv: readonly string[]): Name | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUED_GLOBALS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("--") && VALUED_GLOBALS.has(arg.split("=")[0]!)) continue;
    if (arg.startsWith("-")) return undefined;
    if (Object.hasOwn(register, arg)) return arg as Name;
    return Object.hasOwn(ALSO, arg) ? ALSO[arg] : undefined;
  }
  return undefined;
}

/** The registrars of `only`, or of every command in help's order. */
export async function registrars(only?: Name): Promise<Register[]> {
  return Promise.all((only ? [only] : ORDER).map((name) => register[name]()));
}
