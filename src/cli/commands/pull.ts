import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { formatPlatform, type Platform, parsePlatform } from "../../oci/platform.ts";
import { only } from "../../oci/platform-match.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceName,
  referenceString,
  tagNameOnly,
  trimNamed,
} from "../../oci/reference.ts";
import type { Store } from "../../store/store.ts";
import type { PullResult } from "../../transport/pull.ts";
import { globalOptions, openStore } from "../context.ts";
import { ProgressPrinter } from "../progress.ts";
import { pullError } from "./pull-errors.ts";

interface PullFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
  maxConcurrentDownloads?: string;
}

/** What the pull of each tag needs: the flags, parsed, and where to print. */
interface PullContext {
  store: Store;
  command: Command;
  platform?: Platform;
  quiet: boolean;
  concurrency: number;
  printer: ProgressPrinter;
  /**
   * dockerd has sent progress (even when -q hides it): its errors come in the stream from then on,
   * which the CLI prints without "Error response from daemon: ".
   */
  streamed: boolean;
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
    .action(async (name: string, flags: PullFlags, command: Command) => {
      const named = parseNormalizedNamed(name);
      // docker's CLI checks this before asking the daemon.
      if (flags.allTags && (named.tag !== undefined || named.digest !== undefined)) {
        throw new WharfError("USAGE", "tag can't be used with --all-tags/-a", { exitCode: 1 });
      }
      const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
      const store = await openStore(command);
      const ctx: PullContext = {
        store,
        command,
        ...(platform ? { platform } : {}),
        quiet: flags.quiet === true,
        concurrency: Number(flags.maxConcurrentDownloads ?? 3) || 3,
        printer: new ProgressPrinter(process.stdout),
        streamed: false,
      };
      try {
        if (flags.allTags) await pullAllTags(ctx, named);
        else {
          if (!named.tag && !named.digest && !ctx.quiet) process.stdout.write("Using default tag: latest\n");
          const ref = tagNameOnly(named);
          const result = await pullOne(ctx, ref);
          finish(ctx, ref, result.status === "downloaded");
        }
      } catch (err) {
        throw pullError(err, named, ctx.streamed);
      } finally {
        store.close();
      }
    });
}

/** The registry client and the document model (zod) load only when a pull runs. */
async function clientFor(ref: Reference, command: Command) {
  const { registryClientFor } = await import("../../registry/client/client.ts");
  const { insecureRegistry } = globalOptions(command);
  return registryClientFor(ref.domain, {
    requireBasicCredentials: true,
    ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
  });
}

/** One tag (or digest): its progress lines and `Digest:`; the caller prints Status and the name. */
async function pullOne(ctx: PullContext, ref: Reference): Promise<PullResult> {
  const [{ pullImage }, { RegistrySource }, { BlobInfoCache }] = await Promise.all([
    import("../../transport/pull.ts"),
    import("../../transport/registry-source.ts"),
    import("../../transport/blob-info-cache.ts"),
  ]);
  const { printer, store } = ctx;
  const source = new RegistrySource(await clientFor(ref, ctx.command), ref);
  try {
    return await pullImage(store, ref, source, {
      ...(ctx.platform ? { platform: ctx.platform } : {}),
      concurrency: ctx.concurrency,
      // Where these blobs are, for cross-repository mounts by a later push.
      onVerified: (digests) => {
        const cache = BlobInfoCache.forStore(store.root);
        cache.record({ registry: ref.domain, repository: ref.path }, digests);
        cache.close();
      },
      onEvent: (event) => {
        ctx.streamed = true;
        if (ctx.quiet) return;
        if (event.type === "layer") printer.layer(event.id, event.status, event.current, event.total);
        else if (event.type === "resolved") {
          printer.line(`${ref.digest ? familiarString(ref) : ref.tag}: Pulling from ${ref.path}`);
        } else printer.line(`Digest: ${event.digest}`);
      },
    });
  } finally {
    await source.close();
  }
}

/**
 * dockerd's end of a pull: one Status line (newer image if any tag brought one), the platform
 * warning, then the CLI prints the name pulled.
 */
function finish(ctx: PullContext, ref: Reference, downloaded: boolean): void {
  if (!ctx.quiet) {
    const status = downloaded ? "Downloaded newer image for" : "Image is up to date for";
    ctx.printer.line(`Status: ${status} ${familiarString(ref)}`);
    const warning = ctx.platform && platformWarning(ctx.store, ref, ctx.platform);
    if (warning) ctx.printer.line(warning);
  }
  process.stdout.write(`${referenceString(ref)}\n`);
}

/**
 * dockerd 20.10's check after a pull with --platform (daemon/images/image_pull.go): it looks up the
 * repository's name without the tag, which is NAME:latest, whatever was pulled, and warns when that
 * image is not of the platform asked for (a single-platform image pulled anyway, or NAME:latest of
 * another platform beside the tag pulled).
 */
function platformWarning(store: Store, ref: Reference, wanted: Platform): string | undefined {
  const name = referenceName(ref);
  const image = store.read((records) => records.byTag(`${name}:latest`));
  if (image === undefined || only(wanted).match(image.platform)) return undefined;
  return (
    `WARNING: image with reference ${name} was found but does not match the specified platform: ` +
    `wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(image.platform)}`
  );
}

/** docker pull -a: every tag of the repository, reported as one pull of the repository. */
async function pullAllTags(ctx: PullContext, named: Reference): Promise<void> {
  const client = await clientFor(named, ctx.command);
  let tags: string[];
  try {
    tags = await client.listTags(named.path);
  } finally {
    await client.close();
  }
  let downloaded = false;
  for (const tag of tags) {
    const result = await pullOne(ctx, { ...trimNamed(named), tag });
    downloaded ||= result.status === "downloaded";
  }
  finish(ctx, trimNamed(named), downloaded);
}
