/**
 * The EndpointContext the CLI gives the transports (src/transport/endpoints.ts): the store opened
 * once and on demand, local names resolved by Docker's rules (and the image held against removal
 * while it is read), registry clients with --insecure-registry and explicit credentials, and the
 * blob-info cache. `wharf copy` and `wharf scan` open their images through it.
 */
import type { Command } from "commander";
import { findImageRecord, findImageTop } from "../images/local-manifest.ts";
import type { Reference } from "../oci/reference.ts";
import type { Store } from "../store/store.ts";
import type { BlobInfoCache } from "../transport/blob-info-cache.ts";
import type { EndpointContext } from "../transport/endpoints.ts";
import { StoreSource } from "../transport/store-source.ts";
import { globalOptions, openStore } from "./context.ts";
import { usageError } from "./exit.ts";

export interface EndpointOptions {
  /** A local image resolves to the index it came with (copy --all), not its platform manifest. */
  all?: boolean;
  /** USER[:PASSWORD] for a registry source / destination (else docker's config.json). */
  srcCreds?: string;
  destCreds?: string;
  /** The command, for the one-line usage errors. */
  commandName: string;
}

export interface CliEndpoints {
  ctx: EndpointContext;
  /** Releases what the context opened (the store, the held image, the cache). */
  close(): Promise<void>;
}

export function cliEndpoints(command: Command, options: EndpointOptions): CliEndpoints {
  let store: Store | undefined;
  let cache: BlobInfoCache | undefined;
  let pinned: StoreSource | undefined;
  const ctx: EndpointContext = {
    blobInfoCache: async () => {
      const { BlobInfoCache } = await import("../transport/blob-info-cache.ts");
      cache ??= BlobInfoCache.forStore((await ctx.store()).root);
      return cache;
    },
    store: async () => {
      store ??= await openStore(command);
      return store;
    },
    // The image (with --all, the index it came with, when the store holds all of it) leased here,
    // and looked up again if another process removed it before the lease: the source then opens on
    // blobs that stay.
    resolveLocal: async (s, name) => {
      const lookup = () => (options.all ? findImageTop(s, name) : findImageRecord(s, name).manifest);
      pinned = await StoreSource.open(s, lookup);
      return pinned.top;
    },
    registryClient: async (ref: Reference, end) => {
      const { registryClientFor } = await import("../registry/client/client.ts");
      const { insecureRegistry } = globalOptions(command);
      const creds = end === "source" ? options.srcCreds : options.destCreds;
      return registryClientFor(ref.domain, {
        ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
        ...(creds === undefined ? {} : { credentials: parseCreds(creds, options.commandName) }),
      });
    },
  };
  return {
    ctx,
    close: async () => {
      await pinned?.close();
      cache?.close();
      store?.close();
    },
  };
}

/** skopeo's USER[:PASSWORD]; a password may contain colons (the first one splits). */
function parseCreds(value: string, commandName: string): { username: string; password: string } {
  const colon = value.indexOf(":");
  const username = colon < 0 ? value : value.slice(0, colon);
  if (username === "") throw usageError("credentials must be USERNAME[:PASSWORD]", commandName);
  return { username, password: colon < 0 ? "" : value.slice(colon + 1) };
}
