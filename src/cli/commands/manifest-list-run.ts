/**
 * docker manifest create / annotate / rm: local manifest lists under the wharf root (see
 * src/store/manifest-lists.ts), with docker's messages. create fetches every image before it writes
 * anything, so a failure leaves no list (or the amended list as it was).
 */
import type { Command } from "commander";
import { isWharfError, WharfError } from "../../errors.ts";
import type { ManifestListEntry } from "../../oci/manifest-list.ts";
import { isValidManifestOSArch, type Platform } from "../../oci/platform.ts";
import { type Reference, referenceString } from "../../oci/reference.ts";
import type { RegistryClient } from "../../registry/client/client.ts";
import { ManifestListStore } from "../../store/manifest-lists.ts";
import { fetchImageManifest } from "../../transport/image-manifest.ts";
import { storeRoot } from "../context.ts";
import type { ManifestAnnotateOptions, ManifestCreateOptions } from "./manifest.ts";
import { manifestInspectError } from "./manifest-errors.ts";
import { manifestClient, manifestReference } from "./manifest-run.ts";

/** A reference, or its parse error with docker's prefix. */
function parseWith(prefix: string, name: string): Reference {
  try {
    return manifestReference(name);
  } catch (err) {
    if (!isWharfError(err)) throw err;
    throw new WharfError(err.code, `${prefix}: ${err.message}`, err.detail, { cause: err });
  }
}

export async function runManifestCreate(
  list: string,
  images: string[],
  options: ManifestCreateOptions,
  command: Command,
): Promise<void> {
  const target = parseWith(`error parsing name for manifest list ${list}`, list);
  const store = new ManifestListStore(storeRoot(command));
  if ((await store.has(target)) && !options.amend) {
    throw new WharfError(
      "MANIFEST_LIST_INVALID",
      "refusing to amend an existing manifest list with no --amend flag",
      { list: referenceString(target) },
    );
  }
  const clients = new Map<string, Promise<RegistryClient>>();
  const entries: ManifestListEntry[] = [];
  try {
    for (const image of images) {
      const ref = manifestReference(image);
      // docker reuses what the list already holds for the image (its annotations included).
      const held = await store.get(target, ref).catch((err: unknown) => {
        if (isWharfError(err, "MANIFEST_LIST_NOT_FOUND")) return undefined;
        throw err;
      });
      if (held !== undefined) {
        entries.push(held);
        continue;
      }
      let client = clients.get(ref.domain);
      if (client === undefined) {
        // As docker's own client (the one of manifest inspect): plain HTTP only with --insecure.
        client = manifestClient(ref.domain, options.insecure, command, true);
        clients.set(ref.domain, client);
      }
      try {
        entries.push(await fetchImageManifest(await client, ref));
      } catch (err) {
        throw manifestInspectError(err, ref);
      }
    }
  } finally {
    for (const client of clients.values()) await (await client.catch(() => undefined))?.close();
  }
  await store.save(target, entries);
  process.stdout.write(`Created manifest list ${referenceString(target)}\n`);
}

export async function runManifestAnnotate(
  list: string,
  image: string,
  options: ManifestAnnotateOptions,
  command: Command,
): Promise<void> {
  const target = parseWith(`annotate: error parsing name for manifest list ${list}`, list);
  const ref = parseWith(`annotate: error parsing name for manifest ${image}`, image);
  const store = new ManifestListStore(storeRoot(command));
  let entry: ManifestListEntry;
  try {
    entry = await store.get(target, ref);
  } catch (err) {
    if (!isWharfError(err, "MANIFEST_LIST_NOT_FOUND")) throw err;
    throw new WharfError("MANIFEST_LIST_NOT_FOUND", `manifest for image ${image} does not exist in ${list}`, {
      list,
      image,
    });
  }
  const platform = annotated(entry.platform ?? { os: "", architecture: "" }, options);
  if (!isValidManifestOSArch(platform.os, platform.architecture)) {
    throw new WharfError(
      "PLATFORM_INVALID",
      `manifest entry for image has unsupported os/arch combination: ${options.os ?? ""}/${options.arch ?? ""}`,
      { os: platform.os, architecture: platform.architecture },
    );
  }
  await store.save(target, [{ ...entry, ref, platform }]);
}

/** The flags given over the platform, as docker's annotate applies them (features appended once). */
function annotated(p: Platform, options: ManifestAnnotateOptions): Platform {
  const out: Platform = { ...p };
  if (options.os) out.os = options.os;
  if (options.arch) out.architecture = options.arch;
  const features = [...(p.osFeatures ?? [])];
  for (const f of options.osFeatures ?? []) if (!features.includes(f)) features.push(f);
  if (features.length > 0) out.osFeatures = features;
  if (options.variant) out.variant = options.variant;
  if (options.osVersion) out.osVersion = options.osVersion;
  return out;
}

/** Removes each list; the failures are reported together, one line each (docker's errors.Join). */
export async function runManifestRm(lists: string[], command: Command): Promise<void> {
  const store = new ManifestListStore(storeRoot(command));
  const failures: WharfError[] = [];
  for (const list of lists) {
    try {
      await store.remove(manifestReference(list));
    } catch (err) {
      if (!isWharfError(err)) throw err;
      failures.push(err);
    }
  }
  if (failures.length > 0) {
    throw new WharfError(failures[0]!.code, failures.map((f) => f.message).join("\n"), {
      lists: failures.map((f) => f.detail),
    });
  }
}
