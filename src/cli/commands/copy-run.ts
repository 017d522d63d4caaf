/** `wharf copy`: opens both ends, runs the copy engine, prints skopeo's lines. */
import type { Command } from "commander";
import { findImageRecord, findImageTop } from "../../images/local-manifest.ts";
import { isIndexMediaType } from "../../oci/mediatype.ts";
import { parsePlatform } from "../../oci/platform.ts";
import type { Reference } from "../../oci/reference.ts";
import type { Store } from "../../store/store.ts";
import type { BlobInfoCache } from "../../transport/blob-info-cache.ts";
import { copyAndCommit } from "../../transport/copy.ts";
import { type EndpointContext, openDestination, openSource } from "../../transport/endpoints.ts";
import { StoreSource } from "../../transport/store-source.ts";
import { parseTransportReference } from "../../transport/transport-reference.ts";
import type { CopyEvent } from "../../transport/types.ts";
import { globalOptions, openStore } from "../context.ts";
import { usageError } from "../exit.ts";

export interface CopyFlags {
  all?: boolean;
  platform?: string;
  quiet?: boolean;
  srcCreds?: string;
  destCreds?: string;
}

export async function runCopy(src: string, dst: string, flags: CopyFlags, command: Command): Promise<void> {
  const from = parseTransportReference(src);
  const to = parseTransportReference(dst);
  if (flags.all && flags.platform)
    throw usageError("--all and --platform cannot be used together", "wharf copy");
  let store: Store | undefined;
  let cache: BlobInfoCache | undefined;
  let pinned: StoreSource | undefined;
  const ctx: EndpointContext = {
    blobInfoCache: async () => {
      const { BlobInfoCache } = await import("../../transport/blob-info-cache.ts");
      cache ??= BlobInfoCache.forStore((await ctx.store()).root);
      return cache;
    },
    store: async () => {
      store ??= await openStore(command);
      return store;
    },
    // With --all, the index the image came with, when the store holds all of it. Leased here, and
    // looked up again if another process removed it before the lease: the source then opens on blobs
    // that stay.
    resolveLocal: async (s, name) => {
      const lookup = () => (flags.all ? findImageTop(s, name) : findImageRecord(s, name).manifest);
      pinned = await StoreSource.open(s, lookup);
      return pinned.top;
    },
    registryClient: async (ref: Reference, end) => {
      const { registryClientFor } = await import("../../registry/client/client.ts");
      const { insecureRegistry } = globalOptions(command);
      const creds = end === "source" ? flags.srcCreds : flags.destCreds;
      return registryClientFor(ref.domain, {
        ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
        ...(creds === undefined ? {} : { credentials: parseCreds(creds) }),
      });
    },
  };
  try {
    const source = await openSource(from, ctx);
    try {
      const { destination, names } = await openDestination(to, ctx, from);
      await copyAndCommit(source, destination, {
        names,
        ...(flags.all ? { all: true } : {}),
        ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
        ...(flags.quiet ? {} : { onEvent: printEvent }),
      });
    } finally {
      await source.close();
    }
  } finally {
    await pinned?.close();
    cache?.close();
    store?.close();
  }
}

/** skopeo's USER[:PASSWORD]; a password may contain colons (the first one splits). */
function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(":");
  const username = colon < 0 ? value : value.slice(0, colon);
  if (username === "") throw usageError("credentials must be USERNAME[:PASSWORD]", "wharf copy");
  return { username, password: colon < 0 ? "" : value.slice(colon + 1) };
}

/** skopeo's lines, less its signature steps (wharf copies no signatures). */
function printEvent(event: CopyEvent): void {
  let line: string | undefined;
  if (event.type === "blob") {
    const what = event.role === "config" ? "config" : "blob";
    if (event.status === "exists" || event.status === "mounted")
      line = `Copying ${what} ${event.digest} skipped: already exists`;
    else if (event.status === "transferring" && event.current === 0) line = `Copying ${what} ${event.digest}`;
  } else if (event.type === "manifest" && event.top) {
    line = isIndexMediaType(event.mediaType)
      ? "Writing manifest list to image destination"
      : "Writing manifest to image destination";
  }
  if (line) process.stdout.write(`${line}\n`);
}
