/**
 * `wharf push`: copy(store -> registry) with docker push's output. The stored manifest goes byte for
 * byte, so the pushed digest is the one the image was pulled with (docker converts OCI manifests to
 * Docker schema 2 and so reports another digest); only uncompressed layers (a loaded `docker save`)
 * go up gzip-compressed, as docker pushes them, under a manifest that names the compressed blobs. On success the image gets the RepoDigest
 * repository@digest, as Docker records it; a failed push changes nothing locally.
 */
import type { Command } from "commander";
import { isWharfError, WharfError } from "../../errors.ts";
import type { Digest } from "../../oci/digest.ts";
import { formatPlatform, type Platform, parsePlatform } from "../../oci/platform.ts";
import {
  familiarName,
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceName,
  referenceString,
  tagNameOnly,
} from "../../oci/reference.ts";
import type { RegistryClient } from "../../registry/client/client.ts";
import { registryClientFor } from "../../registry/client/client.ts";
import type { ImageRecord } from "../../store/records.ts";
import { bytesSource } from "../../store/sources.ts";
import type { Store } from "../../store/store.ts";
import { BlobInfoCache } from "../../transport/blob-info-cache.ts";
import { copyAndCommit } from "../../transport/copy.ts";
import { RegistryDestination } from "../../transport/registry-destination.ts";
import { StoreSource } from "../../transport/store-source.ts";
import type { CopyEvent, ManifestBytes } from "../../transport/types.ts";
import { globalOptions, openStore } from "../context.ts";
import { ProgressPrinter } from "../progress.ts";

export interface PushFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
}

/** Docker's max-concurrent-uploads default. */
const PUSH_CONCURRENCY = 5;

export async function runPush(name: string, flags: PushFlags, command: Command): Promise<void> {
  let named = parseNormalizedNamed(name);
  if (flags.allTags && named.tag !== undefined) {
    throw new WharfError("TRANSPORT_REFERENCE_INVALID", "tag can't be used with --all-tags/-a");
  }
  if (named.digest !== undefined) {
    throw new WharfError("TRANSPORT_REFERENCE_INVALID", "cannot push a digest reference");
  }
  const quiet = flags.quiet === true;
  if (!flags.allTags && named.tag === undefined) {
    named = tagNameOnly(named);
    if (!quiet) process.stdout.write(`Using default tag: ${named.tag}\n`);
  }
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const printer = new ProgressPrinter(quiet ? { write: () => true } : process.stdout);
  const store = await openStore(command);
  let client: RegistryClient | undefined;
  let cache: BlobInfoCache | undefined;
  try {
    printer.line(`The push refers to repository [${referenceName(named)}]`);
    const images = imagesToPush(store, named);
    const { insecureRegistry } = globalOptions(command);
    // As dockerd: a registry asking for Basic credentials that there are none of is not tried
    // anonymously (docker push says "no basic auth credentials").
    client = await registryClientFor(named.domain, {
      requireBasicCredentials: true,
      ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
    });
    cache = BlobInfoCache.forStore(store.root);
    for (const { ref, image } of images) {
      if (platform !== undefined) checkPlatform(ref, image, platform);
      await pushImage(store, client, cache, ref, image, printer);
    }
    if (quiet) process.stdout.write(`${referenceString(named)}\n`);
  } catch (err) {
    throw withLoginHint(err, named);
  } finally {
    cache?.close();
    await client?.close();
    store.close();
  }
}

/** The tag asked for, or with -a every tag of the repository (sorted, as docker lists them). */
function imagesToPush(store: Store, named: Reference): { ref: Reference; image: ImageRecord }[] {
  const repository = referenceName(named);
  return store.read((records) => {
    if (named.tag !== undefined) {
      const image = records.byTag(referenceString(named));
      if (image !== undefined) return [{ ref: named, image }];
      const any = records.list().some((r) => r.tags.some((t) => t.name.startsWith(`${repository}:`)));
      if (any) throw new WharfError("IMAGE_NOT_FOUND", `tag does not exist: ${familiarString(named)}`);
    } else {
      const found: { ref: Reference; image: ImageRecord }[] = [];
      for (const image of records.list()) {
        for (const t of image.tags) {
          if (!t.name.startsWith(`${repository}:`)) continue;
          const tag = t.name.slice(repository.length + 1);
          found.push({ ref: { domain: named.domain, path: named.path, tag }, image });
        }
      }
      if (found.length > 0) return found.sort((a, b) => ((a.ref.tag ?? "") < (b.ref.tag ?? "") ? -1 : 1));
    }
    throw new WharfError(
      "IMAGE_NOT_FOUND",
      `An image does not exist locally with the tag: ${familiarName(named)}`,
    );
  });
}

/** Docker's wording when the local image is not of the platform asked for. */
function checkPlatform(ref: Reference, image: ImageRecord, wanted: Platform): void {
  const p = image.platform;
  const same =
    p.os === wanted.os &&
    p.architecture === wanted.architecture &&
    (wanted.variant === undefined || p.variant === wanted.variant);
  if (same) return;
  throw new WharfError(
    "IMAGE_NOT_FOUND",
    `image with reference ${familiarString(ref)} was found but does not match the specified platform: ` +
      `wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(p)}`,
  );
}

async function pushImage(
  store: Store,
  client: RegistryClient,
  cache: BlobInfoCache,
  ref: Reference,
  image: ImageRecord,
  printer: ProgressPrinter,
): Promise<void> {
  // Leased before anything is printed. If another process removed the image after it was looked
  // up, the tag is looked up again: it may be back, or now name another image (docker pushes what
  // the tag names when it pushes), or be gone (docker's "An image does not exist locally ...").
  let record = image;
  let looked = false;
  const source = await StoreSource.open(store, () => {
    if (looked) record = imagesToPush(store, ref)[0]!.image;
    looked = true;
    return record.manifest;
  });
  // Docker keys a pushed layer's line by its short diff ID, top layer first.
  const ids = new Map<string, string>();
  for (const layer of record.layers) ids.set(layer.digest, shortId(layer.diffId));
  for (const id of new Set([...record.layers].reverse().map((l) => shortId(l.diffId)))) {
    printer.layer(id, "Preparing");
  }
  try {
    const result = await copyAndCommit(source, new RegistryDestination(client, ref, { cache }), {
      names: [referenceString(ref)],
      concurrency: PUSH_CONCURRENCY,
      onEvent: (event) => render(event, ids, ref, printer),
    });
    await recordPushed(store, record.manifest.digest, ref, result.top);
  } finally {
    await source.close();
  }
}

/**
 * The image gets `repository@digest` of what the registry now has. When the manifest pushed is not
 * the stored one (its uncompressed layers went up gzip-compressed), its bytes are kept in the store
 * too, so that the RepoDigest names a blob the store has (and GC keeps, as it keeps every RepoDigest's).
 */
async function recordPushed(store: Store, pushed: Digest, ref: Reference, top: ManifestBytes): Promise<void> {
  const lease = store.lease();
  try {
    if (top.digest !== pushed) {
      await store.ingest({
        digest: top.digest,
        size: top.bytes.byteLength,
        source: bytesSource(top.bytes),
        lease,
      });
    }
    await store.update((records) => {
      // Removed locally while it was pushed (by another process): the push stands, with no record to note it in.
      if (records.get(pushed) === undefined) return;
      records.addRepoDigest(pushed, {
        repository: referenceName(ref),
        digest: top.digest,
        mediaType: top.mediaType,
        size: top.bytes.byteLength,
      });
    });
  } finally {
    await lease.release();
  }
}

function render(event: CopyEvent, ids: Map<string, string>, ref: Reference, printer: ProgressPrinter): void {
  if (event.type === "manifest") {
    if (event.top) printer.line(`${ref.tag}: digest: ${event.digest} size: ${event.size}`);
    return;
  }
  if (event.type !== "blob" || event.role !== "layer") return;
  const id = ids.get(event.digest);
  if (id === undefined) return;
  const statuses: Partial<Record<string, string>> = {
    waiting: "Waiting",
    transferring: "Pushing",
    done: "Pushed",
    exists: "Layer already exists",
    mounted: `Mounted from ${event.from}`,
  };
  const status = statuses[event.status];
  if (status === undefined) return;
  if (event.status === "transferring") printer.layer(id, status, event.current ?? 0, event.total);
  else printer.layer(id, status);
}

function shortId(digest: Digest | string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}

const NO_BASIC_CREDENTIALS = "no basic auth credentials";

/** A registry that wants a login says so in one line, with what to do about it. */
function withLoginHint(err: unknown, ref: Reference): unknown {
  if (!isWharfError(err, "REGISTRY_UNAUTHORIZED") && !isWharfError(err, "REGISTRY_DENIED")) return err;
  // docker push's own line, bare (no request named, no hint), checked against dockerd 20.10.
  if (err.message.endsWith(NO_BASIC_CREDENTIALS)) {
    return new WharfError(err.code, NO_BASIC_CREDENTIALS, err.detail, { cause: err });
  }
  const login = ref.domain === "docker.io" ? "wharf login" : `wharf login ${ref.domain}`;
  return new WharfError(err.code, `${err.message} (run '${login}' to log in)`, err.detail, { cause: err });
}
