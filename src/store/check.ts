/**
 * `wharf system check`: every blob against its digest, every record's blobs present and consistent
 * with its manifest, index.json in step with the records and a valid layout. Each problem is one line.
 */
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isWharfError } from "../errors.ts";
import { type Digest, Digester, digestAlgorithm, isDigest, isSupportedAlgorithm } from "../oci/digest.ts";
import { type ParsedDocument, parseDocument } from "../oci/document.ts";
import { isNonDistributableLayer } from "../oci/mediatype.ts";
import { OCI_LAYOUT_CONTENT, renderIndexJson } from "./layout-view.ts";
import type { ImageRecord } from "./records.ts";
import type { Store } from "./store.ts";

export interface CheckReport {
  problems: string[];
  blobsChecked: number;
  imagesChecked: number;
  /** index.json was behind or ahead of the records (an interrupted write) and was re-rendered. */
  repairedIndex: boolean;
}

export async function checkStore(store: Store): Promise<CheckReport> {
  const problems: string[] = [];
  const repairedIndex = await store.recover();
  checkLayoutFiles(store, problems);
  const blobsChecked = await checkBlobs(store, problems);
  const [images, entries] = store.read((r) => [r.list(), r.indexEntries()] as const);
  for (const image of images) await checkImage(store, image, problems);
  const indexJson = readFileSync(store.paths.indexJson, "utf8");
  if (indexJson !== renderIndexJson(entries)) {
    // Another process may have written in between; only a second look that still differs is a problem.
    const again = store.read((r) => renderIndexJson(r.indexEntries()));
    if (readFileSync(store.paths.indexJson, "utf8") !== again)
      problems.push("index.json does not match the image records");
  }
  return { problems, blobsChecked, imagesChecked: images.length, repairedIndex };
}

function checkLayoutFiles(store: Store, problems: string[]): void {
  try {
    if (readFileSync(store.paths.ociLayout, "utf8") !== OCI_LAYOUT_CONTENT) {
      problems.push(`oci-layout: unexpected content (want ${OCI_LAYOUT_CONTENT.trim()})`);
    }
  } catch (err) {
    problems.push(`oci-layout: ${(err as Error).message}`);
  }
  try {
    const index = JSON.parse(readFileSync(store.paths.indexJson, "utf8")) as {
      schemaVersion?: unknown;
      manifests?: unknown;
    };
    if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
      problems.push("index.json: not an OCI image index (schemaVersion 2 with manifests)");
    }
  } catch (err) {
    problems.push(`index.json: ${(err as Error).message}`);
  }
}

async function checkBlobs(store: Store, problems: string[]): Promise<number> {
  let checked = 0;
  for (const algorithm of readdirSync(store.paths.blobsDir)) {
    const dir = join(store.paths.blobsDir, algorithm);
    for (const name of readdirSync(dir)) {
      const digest = `${algorithm}:${name}`;
      if (!isSupportedAlgorithm(algorithm) || !isDigest(digest)) {
        problems.push(`blobs/${algorithm}/${name}: not a blob (the name is not a valid digest)`);
        continue;
      }
      const actual = await hashFile(join(dir, name), digest);
      checked += 1;
      if (actual !== digest) problems.push(`blob ${digest}: content is corrupt (hashes to ${actual})`);
    }
  }
  return checked;
}

async function hashFile(path: string, digest: Digest): Promise<Digest> {
  const digester = new Digester(digestAlgorithm(digest));
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    digester.update(chunk as Buffer);
  return digester.digest();
}

async function checkImage(store: Store, image: ImageRecord, problems: string[]): Promise<void> {
  const where = `image ${image.id}`;
  const required: { what: string; digest: Digest }[] = [
    { what: "manifest", digest: image.manifest.digest },
    { what: "config", digest: image.id },
    ...image.layers
      .filter((l) => !isNonDistributableLayer(l.mediaType))
      .map((l) => ({ what: `layer ${image.layers.indexOf(l)}`, digest: l.digest })),
    ...image.repoDigests.map((rd) => ({ what: `repo digest ${rd.repository}`, digest: rd.digest })),
  ];
  for (const { what, digest } of required) {
    if (!(await store.blobs.has(digest))) problems.push(`${where}: ${what} blob ${digest} is missing`);
  }
  let manifest: ParsedDocument;
  try {
    manifest = parseDocument(await store.blobs.readBytes(image.manifest.digest), image.manifest.mediaType);
  } catch (err) {
    if (!isWharfError(err, "STORE_BLOB_UNKNOWN"))
      problems.push(`${where}: manifest: ${(err as Error).message}`);
    return;
  }
  if (manifest.kind !== "manifest") {
    problems.push(`${where}: ${image.manifest.digest} is an index, not a platform manifest`);
    return;
  }
  if (manifest.value.config.digest !== image.id) {
    problems.push(`${where}: manifest ${image.manifest.digest} names config ${manifest.value.config.digest}`);
  }
  const layers = manifest.value.layers.map((l) => l.digest);
  if (layers.join(",") !== image.layers.map((l) => l.digest).join(",")) {
    problems.push(`${where}: recorded layers differ from manifest ${image.manifest.digest}`);
  }
}
