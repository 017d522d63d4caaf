/**
 * `docker manifest inspect` as the docker CLI prints it:
 * - a manifest: its bytes indented with tabs (Go's json.Indent);
 * - a manifest list or index: re-built from its entries as distribution's manifestlist does
 *   (mediaType, size, digest, platform; three-space indent);
 * - `-v`: docker's ImageManifest: Ref, Descriptor (with the platform), Raw (base64) and the parsed
 *   manifest under OCIManifest or SchemaV2Manifest (tab indent); for a list, one per platform.
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { type Digest, digestBytes } from "../../oci/digest.ts";
import { type ParsedManifest, parseDocument, parseImageConfig } from "../../oci/document.ts";
import { DockerMediaType, OciMediaType } from "../../oci/mediatype.ts";
import { parseNormalizedNamed, type Reference, referenceString } from "../../oci/reference.ts";
import { type RegistryClient, registryClientFor } from "../../registry/client/client.ts";
import { globalOptions } from "../context.ts";
import type { ManifestInspectOptions } from "./manifest.ts";

/** Go's encoding/json escapes these in strings; JSON.stringify does not. */
function goJson(value: unknown, indent: string): string {
  return JSON.stringify(value, null, indent)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026");
}

/** A descriptor's fields in image-spec's Go order (mediaType, digest, size, urls, annotations, platform). */
function ociDescriptor(d: Omit<Descriptor, "platform"> & { platform?: object }): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls?.length) out.urls = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = d.annotations;
  if (d.platform) out.platform = goPlatform(d.platform as Record<string, unknown>);
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

/** Platform fields in Go's order, empty ones left out. */
function goPlatform(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { architecture: p.architecture, os: p.os };
  if (p["os.version"]) out["os.version"] = p["os.version"];
  if (Array.isArray(p["os.features"]) && p["os.features"].length > 0) out["os.features"] = p["os.features"];
  if (p.variant) out.variant = p.variant;
  if (Array.isArray(p.features) && p.features.length > 0) out.features = p.features;
  return out;
}

function parsedManifestJson(m: ParsedManifest): Record<string, unknown> {
  const v = m.value as unknown as {
    schemaVersion: number;
    mediaType?: string;
    config: Descriptor;
    layers: Descriptor[];
    annotations?: Record<string, string>;
  };
  const out: Record<string, unknown> = { schemaVersion: v.schemaVersion };
  if (v.mediaType) out.mediaType = v.mediaType;
  out.config = ociDescriptor(v.config);
  out.layers = v.layers.map(ociDescriptor);
  if (v.annotations && Object.keys(v.annotations).length > 0) out.annotations = v.annotations;
  return out;
}

/** An image config from the registry (small; verified against its digest). */
async function configBytes(client: RegistryClient, ref: Reference, digest: Digest): Promise<Buffer> {
  const { stream } = await client.getBlob(ref.path, digest);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > 4 * 1024 * 1024)
      throw new WharfError("MANIFEST_INVALID", `image config ${digest} is over 4 MiB`);
    parts.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(parts);
  if (digestBytes(bytes) !== digest) {
    throw new WharfError("DIGEST_MISMATCH", `image config from ${ref.domain} does not match ${digest}`);
  }
  return bytes;
}

/** docker's types.ImageManifest for one platform manifest. */
async function imageManifest(
  client: RegistryClient,
  ref: Reference,
  manifest: ParsedManifest,
  platform: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  let p = platform;
  if (p === undefined) {
    const config = parseImageConfig(
      await configBytes(client, ref, manifest.value.config.digest as Digest),
    ).value;
    p = { architecture: config.architecture, os: config.os, variant: config.variant };
  }
  const descriptor = ociDescriptor({
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.byteLength,
    platform: p,
  });
  const key = manifest.mediaType === OciMediaType.ImageManifest ? "OCIManifest" : "SchemaV2Manifest";
  return {
    Ref: referenceString(ref),
    Descriptor: descriptor,
    Raw: Buffer.from(manifest.bytes).toString("base64"),
    [key]: parsedManifestJson(manifest),
  };
}

export async function runManifestInspect(name: string, options: ManifestInspectOptions, command: Command) {
  const named = parseNormalizedNamed(name);
  const ref: Reference = named.tag || named.digest ? named : { ...named, tag: "latest" };
  const { insecureRegistry } = globalOptions(command);
  const insecure = [...(insecureRegistry ?? []), ...(options.insecure ? [ref.domain] : [])];
  const client = await registryClientFor(ref.domain, insecure.length ? { insecureRegistries: insecure } : {});
  try {
    const top = await client.getManifest(ref.path, ref.digest ?? ref.tag!);
    const doc = parseDocument(top.bytes, top.mediaType);
    if (doc.kind === "manifest") {
      const text = options.verbose
        ? goJson(await imageManifest(client, ref, doc, undefined), "\t")
        : JSON.stringify(JSON.parse(Buffer.from(top.bytes).toString()), null, "\t");
      process.stdout.write(`${text}\n`);
      return;
    }
    const entries = doc.value.manifests as (Descriptor & { platform?: Record<string, unknown> })[];
    if (options.verbose) {
      const all = [];
      for (const entry of entries) {
        const child = await client.getManifest(ref.path, entry.digest);
        const parsed = parseDocument(child.bytes, child.mediaType);
        if (parsed.kind !== "manifest") continue;
        all.push(await imageManifest(client, { ...ref, digest: parsed.digest }, parsed, entry.platform));
      }
      process.stdout.write(`${goJson(all, "\t")}\n`);
      return;
    }
    // distribution's manifestlist.FromDescriptors: an OCI index when the entries are OCI manifests.
    const mediaType =
      entries[0]?.mediaType === OciMediaType.ImageManifest
        ? OciMediaType.ImageIndex
        : DockerMediaType.ManifestList;
    const list = {
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({
        mediaType: e.mediaType,
        size: e.size,
        digest: e.digest,
        platform: goPlatform(e.platform ?? {}),
      })),
    };
    process.stdout.write(`${goJson(list, "   ")}\n`);
  } finally {
    await client.close();
  }
}
