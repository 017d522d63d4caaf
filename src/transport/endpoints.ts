/**
 * Opening the two ends of a copy from transport references (transport-reference.ts): each transport's
 * ImageSource and ImageDestination, so that `wharf copy` and the library's `copyBetween` take any pair.
 */
import { WharfError } from "../errors.ts";
import { familiarString, type Reference, referenceString, tagNameOnly } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { ManifestRef } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { BlobInfoCache } from "./blob-info-cache.ts";
import { DockerArchiveDestination } from "./docker-archive-destination.ts";
import { openDockerArchiveSource } from "./docker-archive-source.ts";
import { createOciArchiveDestination, openOciArchiveSource } from "./oci-archive.ts";
import { openOciLayoutDestination } from "./oci-layout-destination.ts";
import { openOciLayoutSource } from "./oci-layout-source.ts";
import { RegistryDestination } from "./registry-destination.ts";
import { RegistrySource } from "./registry-source.ts";
import { StoreDestination } from "./store-destination.ts";
import { StoreSource } from "./store-source.ts";
import type { TransportReference } from "./transport-reference.ts";
import type { ImageDestination, ImageSource } from "./types.ts";

/** What opening an end may need; the CLI supplies these from its flags and the images layer. */
export interface EndpointContext {
  store(): Promise<Store>;
  /** A local image name to its stored manifest, or index (Docker's lookup rules live in src/images). */
  resolveLocal(store: Store, name: string): ManifestRef | Promise<ManifestRef>;
  /** A client for the registry of `ref`; `end` says which end of the copy it serves (its own credentials). */
  registryClient(ref: Reference, end: "source" | "destination"): Promise<RegistryClient>;
  /** Where blobs were seen, so that a registry destination can mount instead of upload. */
  blobInfoCache?(): Promise<BlobInfoCache>;
}

export interface OpenedDestination {
  destination: ImageDestination;
  /** The references the destination records for the copied image. */
  names: string[];
}

export async function openSource(where: TransportReference, ctx: EndpointContext): Promise<ImageSource> {
  switch (where.transport) {
    case "docker":
      return new RegistrySource(await ctx.registryClient(where.ref, "source"), where.ref);
    case "wharf": {
      const store = await ctx.store();
      return StoreSource.open(store, await ctx.resolveLocal(store, where.name));
    }
    case "oci":
      return openOciLayoutSource(where.path, where.ref);
    case "oci-archive":
      return openOciArchiveSource(where.path, where.ref);
    case "docker-archive":
      return openDockerArchiveSource(where.path, {
        ...(where.ref ? { tag: familiarString(where.ref) } : {}),
        ...(where.index !== undefined ? { index: where.index } : {}),
      });
  }
}

export async function openDestination(
  where: TransportReference,
  ctx: EndpointContext,
  /** Where the copy comes from: a store copy of a registry image records its RepoDigest, as a pull does. */
  from: TransportReference,
): Promise<OpenedDestination> {
  switch (where.transport) {
    case "wharf": {
      const store = await ctx.store();
      return {
        destination: new StoreDestination(store, { repoDigests: from.transport === "docker" }),
        names: [where.name],
      };
    }
    case "docker":
      // A tag for the top manifest (latest when none is named); by digest when a digest is named.
      return {
        destination: new RegistryDestination(
          await ctx.registryClient(where.ref, "destination"),
          where.ref.digest === undefined ? tagNameOnly(where.ref) : where.ref,
          { ownsClient: true, ...(ctx.blobInfoCache ? { cache: await ctx.blobInfoCache() } : {}) },
        ),
        names: [referenceString(where.ref)],
      };
    case "oci":
      return { destination: await openOciLayoutDestination(where.path, where.ref), names: [] };
    case "oci-archive":
      return {
        destination: createOciArchiveDestination({ file: where.path }, where.ref ? { ref: where.ref } : {}),
        names: [],
      };
    case "docker-archive":
      if (where.index !== undefined) throw unsupported("docker-archive:FILE:@INDEX", "destination");
      return {
        destination: new DockerArchiveDestination({ file: where.path }),
        names: where.ref ? [familiarString(where.ref)] : [],
      };
  }
}

function unsupported(transport: string, end: string): WharfError {
  return new WharfError("COPY_UNSUPPORTED", `${transport}: is not supported as a copy ${end}`, {
    transport,
  });
}
