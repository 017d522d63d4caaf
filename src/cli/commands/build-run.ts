/**
 * `wharf build`: docker build's inputs and flags into a BuildRequest (src/build/engine), BuildKit's
 * progress while it runs, then the image out through the copy engine to each output (the store and
 * its tags by default). A failed or interrupted build records nothing: no tag, no image.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { type BuildResult, build } from "../../build/engine/builder.ts";
import type { BuildEvent, BuildRequest, NetworkChoice } from "../../build/engine/request.ts";
import { commitBuiltImage } from "../../build/engine/store-output.ts";
import { formatLintSummary } from "../../dockerfile/lint/index.ts";
import { WharfError } from "../../errors.ts";
import { defaultPlatform, parsePlatform } from "../../oci/platform.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  tagNameOnly,
} from "../../oci/reference.ts";
import type { Store } from "../../store/store.ts";
import type { ImageDestination } from "../../transport/types.ts";
import { globalOptions, openStore } from "../context.ts";
import { usageError } from "../exit.ts";
import { buildFailure } from "./build-error.ts";
import { readBuildInput } from "./build-input.ts";
import { type BuildOutput, parseOutputs } from "./build-outputs.ts";
import { PlainBuildProgress } from "./build-progress.ts";
import { TtyBuildProgress } from "./build-progress-tty.ts";

export interface BuildFlags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  target?: string;
  platform?: string;
  /** commander's --no-cache: false when given. */
  cache: boolean;
  pull?: boolean;
  label?: string[];
  iidfile?: string;
  quiet?: boolean;
  progress: string;
  network: string;
  secret?: string[];
  addHost?: string[];
  output?: string[];
  push?: boolean;
  cacheFrom?: string[];
  cacheTo?: string[];
}

const COMMAND = "wharf build";

export async function runBuild(path: string, flags: BuildFlags, command: Command): Promise<void> {
  if (!["auto", "plain", "tty", "quiet", "rawjson"].includes(flags.progress)) {
    throw usageError(`invalid progress mode "${flags.progress}": auto, plain, tty or quiet`, COMMAND);
  }
  if (!["default", "none", "host"].includes(flags.network)) {
    throw usageError(
      `network mode "${flags.network}" not supported by wharf build: default, none or host`,
      COMMAND,
    );
  }
  const tags = (flags.tag ?? []).map(parseTag);
  const buildArgs = parseBuildArgs(flags.buildArg ?? []);
  const labels = parseKeyValues(flags.label ?? [], "label");
  const { outputs, compression } = parseOutputs(flags.output ?? [], flags.push ?? false);
  if (outputs.some((o) => o.type === "registry") && tags.length === 0) {
    throw usageError("tag is needed when pushing to registry", COMMAND);
  }
  const platform = flags.platform ? parsePlatform(flags.platform) : defaultPlatform();
  const secrets = await Promise.all((flags.secret ?? []).map(readSecret));
  const addHosts = (flags.addHost ?? []).map(parseHost);
  const epochText = buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
  const sourceDateEpoch = epochText === undefined || epochText === "" ? undefined : parseEpoch(epochText);
  const quiet = flags.quiet || flags.progress === "quiet";
  // BuildKit's live view on a terminal (auto) or when asked (tty); plain lines otherwise.
  const tty =
    !quiet && (flags.progress === "tty" || (flags.progress === "auto" && process.stderr.isTTY === true));
  const progress = tty ? new TtyBuildProgress(process.stderr) : new PlainBuildProgress(process.stderr);
  const names = new Map<number, string>();
  let failedStep: string | undefined;
  const onEvent = (event: BuildEvent) => {
    if (event.type === "vertex") names.set(event.id, event.name);
    if (event.type === "error") failedStep ??= names.get(event.id);
    if (!quiet) progress.handle(event);
  };

  // Loaded only when asked for: the transfer brings the registry client and the OCI layout code.
  const cacheTransfer =
    flags.cacheFrom?.length || flags.cacheTo?.length
      ? await import("../../build/engine/cache-transfer.ts")
      : undefined;
  const cacheFrom = (flags.cacheFrom ?? []).map((spec) => cacheTransfer!.parseCacheSpec(spec, "from"));
  const cacheTo = (flags.cacheTo ?? []).map((spec) => cacheTransfer!.parseCacheSpec(spec, "to"));
  const input = await readBuildInput(path, flags.file);
  const store = await openStore(command);
  let result: BuildResult | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const request: BuildRequest = {
      store,
      contextDir: input.contextDir,
      dockerfile: input.dockerfile,
      dockerfilePath: input.dockerfilePath,
      buildArgs,
      ...(flags.target ? { target: flags.target } : {}),
      platform,
      noCache: flags.cache === false,
      // --cache-to exports the layers of every stage, so every stage's get a blob.
      blobsOfEveryStage: cacheTo.length > 0,
      labels,
      network: flags.network as NetworkChoice,
      secrets,
      addHosts,
      ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
      compression,
      // A base image: the local one (docker's legacy builder and wharf keep using what is in the
      // store), pulled when missing or with --pull. Loaded when a FROM names an image.
      resolveBase: async (name, p) =>
        (await import("../../transport/base-image.ts")).resolveBaseImage(store, name, p, {
          pull: flags.pull ?? false,
          registryClient: (domain) => registryClient(command, domain),
        }),
      onEvent,
      signal: abort.signal,
    };
    const transfer = { registryClient: (ref: Reference) => registryClient(command, ref.domain) };
    for (const from of cacheFrom) {
      const imported = await cacheTransfer!.importBuildCache(store, from, transfer);
      if (imported.warning && !quiet) process.stderr.write(`WARNING: ${imported.warning}\n`);
    }
    try {
      result = await build(request);
    } catch (err) {
      progress.finish();
      // The live view printed the failed step's block with its output already.
      throw buildFailure(err, input.dockerfile, "Dockerfile", tty ? undefined : failedStep);
    }
    const unusedArgs =
      !quiet && result.unusedArgs.length > 0
        ? `[Warning] One or more build-args [${result.unusedArgs.join(" ")}] were not consumed\n`
        : "";
    if (!tty) process.stderr.write(unusedArgs);
    const id = result.documents.config.digest;
    await exportOutputs(result, outputs, tags, store, command, quiet ? undefined : progress);
    progress.finish();
    if (tty) process.stderr.write(unusedArgs);
    // After the export, as buildx prints its build checks.
    if (!quiet && result.lintWarnings.length > 0) {
      process.stderr.write(`\n${formatLintSummary(result.lintWarnings)}`);
    }
    for (const to of cacheTo)
      await cacheTransfer!.exportBuildCache(store, result.cacheEntries(), to, transfer);
    if (flags.iidfile) await writeFile(flags.iidfile, id);
    if (quiet) process.stdout.write(`${id}\n`);
  } finally {
    progress.finish();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await result?.release().catch(() => undefined);
    await input.cleanup();
    store.close();
  }
}

async function exportOutputs(
  result: BuildResult,
  outputs: readonly BuildOutput[],
  tags: readonly Reference[],
  store: Store,
  command: Command,
  progress: PlainBuildProgress | TtyBuildProgress | undefined,
): Promise<void> {
  const id = result.nextVertex();
  const started = performance.now();
  const say = (text: string) => progress?.line(id, text);
  for (const output of outputs) {
    switch (output.type) {
      case "image": {
        say("exporting to image");
        say("exporting layers done");
        await commitBuiltImage(
          store,
          result.documents,
          result.layers,
          result.platform,
          result.created,
          tags.map(referenceString),
        );
        say(`writing image ${result.documents.config.digest} done`);
        for (const tag of tags) say(`naming to ${referenceString(tag)} done`);
        if (output.push) await pushTags(result, tags, command, say);
        break;
      }
      case "registry":
        await pushTags(result, tags, command, say);
        break;
      case "docker":
      case "oci": {
        say(`exporting to ${output.type} image format`);
        const target = output.dest === "-" ? { stream: process.stdout } : { file: output.dest, mode: 0o644 };
        const [{ copyAndCommit }, { DockerArchiveDestination }, { createOciArchiveDestination }] =
          await Promise.all([
            import("../../transport/copy.ts"),
            import("../../transport/docker-archive-destination.ts"),
            import("../../transport/oci-archive.ts"),
          ]);
        const destination: ImageDestination =
          output.type === "docker"
            ? new DockerArchiveDestination(target)
            : createOciArchiveDestination(target, { namesAreReferences: true });
        const names =
          output.type === "docker" ? tags.map((t) => familiarString(t)) : tags.map(referenceString);
        await copyAndCommit(result.source, destination, { names });
        say(`sending tarball done`);
        break;
      }
      case "local":
      case "tar": {
        say(output.type === "local" ? "copying files" : "sending tarball");
        const root = await result.rootfs();
        try {
          if (output.type === "local") {
            await mkdir(output.dest, { recursive: true });
            await exec("cp", ["-a", `${root.dir}/.`, output.dest]);
          } else {
            await exec("tar", [
              "--numeric-owner",
              "-C",
              root.dir,
              "-cf",
              output.dest === "-" ? "-" : output.dest,
              ".",
            ]);
          }
        } finally {
          await root.release();
        }
        break;
      }
    }
  }
  progress?.line(id, `DONE ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

async function pushTags(
  result: BuildResult,
  tags: readonly Reference[],
  command: Command,
  say: (text: string) => void,
): Promise<void> {
  const [{ RegistryDestination }, { copyAndCommit }] = await Promise.all([
    import("../../transport/registry-destination.ts"),
    import("../../transport/copy.ts"),
  ]);
  for (const tag of tags) {
    say(`pushing ${referenceString(tag)}`);
    const client = await registryClient(command, tag.domain);
    await copyAndCommit(result.source, new RegistryDestination(client, tag, { ownsClient: true }), {
      names: [referenceString(tag)],
    });
  }
}

/** A client for a registry, with the global --insecure-registry list (loaded when first needed). */
async function registryClient(command: Command, domain: string) {
  const { registryClientFor } = await import("../../registry/client/client.ts");
  const { insecureRegistry } = globalOptions(command);
  return registryClientFor(domain, {
    ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
  });
}

function parseTag(value: string): Reference {
  try {
    return tagNameOnly(parseNormalizedNamed(value));
  } catch {
    throw usageError(`invalid argument "${value}" for "-t, --tag" flag: invalid reference format`, COMMAND);
  }
}

/** `--build-arg K=V`; `K` alone takes the environment's value, and is left out when it has none (docker). */
function parseBuildArgs(values: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq === 0) throw usageError(`invalid argument "${value}" for "--build-arg" flag`, COMMAND);
    if (eq > 0) args[value.slice(0, eq)] = value.slice(eq + 1);
    else if (process.env[value] !== undefined) args[value] = process.env[value]!;
  }
  return args;
}

function parseKeyValues(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq === 0) throw usageError(`invalid argument "${value}" for "--${flag}" flag`, COMMAND);
    if (eq < 0) out[value] = "";
    else out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

function parseHost(value: string): { host: string; ip: string } {
  const sep = value.indexOf(":") >= 0 ? value.indexOf(":") : value.indexOf("=");
  if (sep <= 0 || sep === value.length - 1) {
    throw usageError(
      `invalid argument "${value}" for "--add-host" flag: bad format for add-host: "${value}"`,
      COMMAND,
    );
  }
  return { host: value.slice(0, sep), ip: value.slice(sep + 1) };
}

async function readSecret(spec: string): Promise<{ id: string; data: Uint8Array }> {
  const fields = new Map(
    spec.split(",").map((part) => {
      const eq = part.indexOf("=");
      return eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    }),
  );
  const id = fields.get("id");
  if (!id) throw usageError(`invalid secret "${spec}": id=ID is required`, COMMAND);
  const src = fields.get("src") ?? fields.get("source");
  const env = fields.get("env");
  if (src) {
    const { readFile } = await import("node:fs/promises");
    return { id, data: await readFile(src) };
  }
  const variable = env ?? id;
  const value = process.env[variable];
  if (value === undefined)
    throw usageError(`secret ${id}: environment variable ${variable} is not set`, COMMAND);
  return { id, data: Buffer.from(value) };
}

function parseEpoch(text: string): number {
  if (!/^\d+$/.test(text)) throw usageError(`invalid SOURCE_DATE_EPOCH: ${text}`, COMMAND);
  return Number(text);
}

function exec(cmd: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ["ignore", args.includes("-") ? "inherit" : "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done() : fail(new WharfError("BUILD_INVALID", `${cmd} failed: ${stderr.trim()}`)),
    );
  });
}
