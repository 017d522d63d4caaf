/**
 * `docker manifest inspect` as the docker CLI prints it:
 * - `inspect LIST IMAGE`: an image of a local manifest list;
 * - a local manifest list (docker looks there before asking the registry), else the registry's:
 * - a manifest: its bytes indented with tabs (Go's json.Indent);
 * - a manifest list or index: re-built from its entries as distribution's manifestlist does
 *   (mediaType, size, digest, platform; three-space indent);
 * - `-v`: docker's ImageManifest: Ref, Descriptor (with the platform), Raw (base64) and the parsed
 *   manifest under OCIManifest or SchemaV2Manifest (tab indent); for a list, one per platform.
 */
import type { Command } from "commander";
import type { Descriptor } from "../../oci/descriptor.ts";
import type { Digest } from "../../oci/digest.ts";
import { parseDocument } from "../../oci/document.ts";
import {
  buildManifestList,
  goJson,
  imageManifestJson,
  type ManifestListEntry,
  manifestListFromDescriptors,
} from "../../oci/manifest-list.ts";
import { type Platform, platformFromJSON } from "../../oci/platform.ts";
import { parseNormalizedNamed, type Reference, tagNameOnly } from "../../oci/reference.ts";
import { type RegistryClient, registryClientFor } from "../../registry/client/client.ts";
import { ManifestListStore } from "../../store/manifest-lists.ts";
import { imageManifestEntry } from "../../transport/image-manifest.ts";
import { globalOptions, storeRoot } from "../context.ts";
import { indentJSON } from "./image-support.ts";
import { manifestInspectError } from "./manifest-errors.ts";

export interface ManifestInspectOptions {
  insecure?: boolean;
  verbose?: boolean;
}

/** docker's normalizeReference: the full name, tagged `latest` unless it has a tag or digest. */
export function manifestReference(name: string): Reference {
  return tagNameOnly(parseNormalizedNamed(name));
}

/**
 * A registry client for `domain`, insecure when `--insecure` asks for it (docker's flag). With
 * `asDockerCli`, as docker's own registry client: a loopback registry gets plain HTTP only with
 * `--insecure`, and a Basic challenge without credentials fails before the request.
 */
export async function manifestClient(
  domain: string,
  insecure: boolean | undefined,
  command: Command,
  asDockerCli = false,
): Promise<RegistryClient> {
  const registries = [...(globalOptions(command).insecureRegistry ?? []), ...(insecure ? [domain] : [])];
  return registryClientFor(domain, {
    ...(registries.length ? { insecureRegistries: registries } : {}),
    ...(asDockerCli ? { loopbackInsecure: false, requireBasicCredentials: true } : {}),
  });
}

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * docker's printManifest: the bytes tab-indented by Go's json.Indent (which keeps the escapes as
 * they are and copies the trailing whitespace of the bytes: a manifest ending in a newline prints
 * an empty line after it), or the ImageManifest with -v.
 */
function printManifest(entry: ManifestListEntry, verbose: boolean | undefined): void {
  if (verbose) {
    write(goJson(imageManifestJson(entry), "\t"));
    return;
  }
  const raw = Buffer.from(entry.raw).toString("utf8");
  write(indentJSON(raw, "\t") + (/[ \t\r\n]*$/.exec(raw)?.[0] ?? ""));
}

/** docker's printManifestList. */
function printManifestList(ref: Reference, entries: ManifestListEntry[], verbose: boolean | undefined): void {
  if (verbose) write(goJson(entries.map(imageManifestJson), "\t"));
  else write(Buffer.from(buildManifestList(ref, entries).bytes).toString("utf8"));
}

export async function runManifestInspect(
  first: string,
  second: string | undefined,
  options: ManifestInspectOptions,
  command: Command,
): Promise<void> {
  const lists = new ManifestListStore(storeRoot(command));
  const ref = manifestReference(second ?? first);
  if (second !== undefined) {
    printManifest(await lists.get(manifestReference(first), ref), options.verbose);
    return;
  }
  if (await lists.has(ref)) {
    printManifestList(ref, await lists.getList(ref), options.verbose);
    return;
  }
  const client = await manifestClient(ref.domain, options.insecure, command, true);
  try {
    await inspectRemote(client, ref, options.verbose);
  } catch (err) {
    throw manifestInspectError(err, ref);
  } finally {
    await client.close();
  }
}

async function inspectRemote(client: RegistryClient, ref: Reference, verbose: boolean | undefined) {
  const top = await client.getManifest(ref.path, ref.digest ?? ref.tag!);
  const doc = parseDocument(top.bytes, top.mediaType);
  if (doc.kind === "manifest") {
    const entry: ManifestListEntry = verbose
      ? await imageManifestEntry(client, ref, doc)
      : { ref, mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.byteLength, raw: doc.bytes };
    printManifest(entry, verbose);
    return;
  }
  const entries = doc.value.manifests as (Descriptor & { platform?: unknown })[];
  const platformOf = (e: { platform?: unknown }): Platform | undefined =>
    e.platform === undefined ? undefined : platformFromJSON(e.platform);
  if (verbose) {
    const all: ManifestListEntry[] = [];
    for (const entry of entries) {
      const child = await client.getManifest(ref.path, entry.digest);
      const parsed = parseDocument(child.bytes, child.mediaType);
      if (parsed.kind !== "manifest") continue;
      all.push(
        await imageManifestEntry(client, { ...ref, digest: parsed.digest }, parsed, platformOf(entry)),
      );
    }
    write(goJson(all.map(imageManifestJson), "\t"));
    return;
  }
  const list = manifestListFromDescriptors(
    entries.map((e) => ({
      mediaType: e.mediaType as ManifestListEntry["mediaType"],
      digest: e.digest as Digest,
      size: e.size,
      ...(e.platform === undefined ? {} : { platform: platformOf(e)! }),
    })),
  );
  write(Buffer.from(list.bytes).toString("utf8"));
}
