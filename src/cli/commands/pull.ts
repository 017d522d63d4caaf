/**
 * `wharf pull`: docker pull of a name (or with -a every tag of its repository) from its registry
 * into the store (transport/registry-pull.ts), printed as docker prints it (transport/pull-report.ts),
 * then the name pulled.
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { parsePlatform } from "../../oci/platform.ts";
import {
  parseNormalizedNamed,
  type Reference,
  referenceString,
  tagNameOnly,
  trimNamed,
} from "../../oci/reference.ts";
import { pullError } from "../../transport/pull-errors.ts";
import { pullEndLines, reportPullEvent } from "../../transport/pull-report.ts";
import { globalOptions, openStore } from "../context.ts";
import { ProgressPrinter } from "../progress.ts";
import { daemonError } from "./image-support.ts";

interface PullFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
  maxConcurrentDownloads?: string;
}

export function registerPull(program: Command): void {
  program
    .command("pull")
    .description("Download an image from a registry")
    .argument("<name>", "NAME[:TAG|@DIGEST]")
    .option("-a, --all-tags", "Download all tagged images in the repository")
    .option("--platform <platform>", "Set platform if server is multi-platform capable")
    .option("-q, --quiet", "Suppress verbose output")
    .option("--max-concurrent-downloads <n>", "Layers downloaded at once", "3")
    .action(runPull);
}

async function runPull(name: string, flags: PullFlags, command: Command): Promise<void> {
  const named = parseNormalizedNamed(name);
  // docker's CLI checks this before asking the daemon.
  if (flags.allTags && (named.tag !== undefined || named.digest !== undefined)) {
    throw new WharfError("USAGE", "tag can't be used with --all-tags/-a", { exitCode: 1 });
  }
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const quiet = flags.quiet === true;
  const store = await openStore(command);
  const printer = new ProgressPrinter(process.stdout);
  // dockerd has sent progress (even when -q hides it): its errors come in the stream from then on,
  // which the CLI prints without "Error response from daemon: ".
  let streamed = false;
  try {
    let ref: Reference;
    if (flags.allTags) ref = trimNamed(named);
    else {
      if (!named.tag && !named.digest && !quiet) process.stdout.write("Using default tag: latest\n");
      ref = tagNameOnly(named);
    }
    // The registry client and the document model (zod) load only when a pull runs.
    const { pullFromRegistry } = await import("../../transport/registry-pull.ts");
    const downloaded = await pullFromRegistry(store, ref, {
      ...(platform ? { platform } : {}),
      concurrency: Number(flags.maxConcurrentDownloads ?? 3) || 3,
      registryClient: (domain) => clientFor(domain, command),
      onEvent: (event, pulled) => {
        streamed = true;
        if (!quiet) reportPullEvent(event, pulled, printer);
      },
    });
    if (!quiet) for (const line of pullEndLines(store, ref, downloaded, platform)) printer.line(line);
    process.stdout.write(`${referenceString(ref)}\n`);
  } catch (err) {
    // dockerd answers with the error until it has sent progress; after that it is a message in the
    // stream, which the client prints as it is (moby's postImagesCreate).
    const worded = pullError(err, named);
    throw streamed ? worded : daemonError(worded);
  } finally {
    store.close();
  }
}

async function clientFor(domain: string, command: Command) {
  const { registryClientFor } = await import("../../registry/client/client.ts");
  const { insecureRegistry } = globalOptions(command);
  return registryClientFor(domain, {
    requireBasicCredentials: true,
    ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
  });
}
