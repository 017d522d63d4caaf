import type { Command } from "commander";
import { parsePlatform } from "../../oci/platform.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  tagNameOnly,
} from "../../oci/reference.ts";
import type { Store } from "../../store/store.ts";
import { globalOptions, openStore } from "../context.ts";
import { ProgressPrinter } from "../progress.ts";

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
    .action(async (name: string, flags: PullFlags, command: Command) => {
      const named = parseNormalizedNamed(name);
      const store = await openStore(command);
      try {
        if (flags.allTags) await pullAllTags(store, named, flags, command);
        else {
          if (!named.tag && !named.digest && !flags.quiet)
            process.stdout.write("Using default tag: latest\n");
          await pullOne(store, tagNameOnly(named), flags, command);
        }
      } finally {
        store.close();
      }
    });
}

/** The registry client and the document model (zod) load only when a pull runs. */
async function clientFor(ref: Reference, command: Command) {
  const { registryClientFor } = await import("../../registry/client/client.ts");
  const { insecureRegistry } = globalOptions(command);
  return registryClientFor(
    ref.domain,
    insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {},
  );
}

async function pullOne(store: Store, ref: Reference, flags: PullFlags, command: Command): Promise<void> {
  const [{ pullImage }, { RegistrySource }, { BlobInfoCache }] = await Promise.all([
    import("../../transport/pull.ts"),
    import("../../transport/registry-source.ts"),
    import("../../transport/blob-info-cache.ts"),
  ]);
  const printer = new ProgressPrinter(process.stdout);
  const quiet = flags.quiet === true;
  const source = new RegistrySource(await clientFor(ref, command), ref);
  try {
    const result = await pullImage(store, ref, source, {
      ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
      concurrency: Number(flags.maxConcurrentDownloads ?? 3) || 3,
      // Where these blobs are, for cross-repository mounts by a later push.
      onVerified: (digests) => {
        const cache = BlobInfoCache.forStore(store.root);
        cache.record({ registry: ref.domain, repository: ref.path }, digests);
        cache.close();
      },
      onEvent: (event) => {
        if (quiet) return;
        if (event.type === "layer") printer.layer(event.id, event.status, event.current, event.total);
        else if (event.type === "resolved") {
          printer.line(`${ref.digest ? familiarString(ref) : ref.tag}: Pulling from ${ref.path}`);
        } else printer.line(`Digest: ${event.digest}`);
      },
    });
    if (!quiet) {
      const status =
        result.status === "downloaded" ? "Downloaded newer image for" : "Image is up to date for";
      printer.line(`Status: ${status} ${familiarString(ref)}`);
    }
    process.stdout.write(`${referenceString(ref)}\n`);
  } finally {
    await source.close();
  }
}

async function pullAllTags(
  store: Store,
  named: Reference,
  flags: PullFlags,
  command: Command,
): Promise<void> {
  const client = await clientFor(named, command);
  let tags: string[];
  try {
    tags = await client.listTags(named.path);
  } finally {
    await client.close();
  }
  for (const tag of tags)
    await pullOne(store, { domain: named.domain, path: named.path, tag }, flags, command);
}
