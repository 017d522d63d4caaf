/**
 * `wharf system check`: every blob against its digest, every record's blobs present and consistent
 * with its manifest, index.json in step with the records and a valid layout. Each problem is one line.
 */
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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
  if (!(await indexJsonInStep(store, renderIndexJson(entries))))
    problems.push("index.json does not match the image records");
  return { problems, blobsChecked, imagesChecked: images.length, repairedIndex };
}

/** Looks at index.json this many times, LOOK_MS apart, before calling it out of step. */
const INDEX_LOOKS = 5;
const INDEX_LOOK_MS = 40;

/**
 * Whether index.json shows the records. A writer replaces the file inside its transaction, just
 * before it commits: for that moment the file is ahead of what a reader's snapshot shows. So the file
 * is out of step only when it matches neither the records just before nor just after reading it, at
 * each of a few looks.
 */
async function indexJsonInStep(store: Store, rendered: string): Promise<boolean> {
  let before = rendered;
  for (let look = 1; ; look++) {
    const file = readFileSync(store.paths.indexJson, "utf8");
    const after = store.read((r) => renderIndexJson(r.indexEntries()));
    if (file === before || file === after) return true;
    if (look >= INDEX_LOOKS) return false;
    await sleep(INDEX_LOOK_MS);
    before = store.read((r) => renderIndexJson(r.indexEntries()));
  }
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
      // Removed since the listing (another process's GC): an absent blob is not a corrupt one, and
      // any record still naming it is reported by checkImage.
      if (actual === undefined) continue;
      checked += 1;
      if (actual !== digest) problems.push(`blob ${digest}: content is corrupt (hashes to ${actual})`);
    }
  }
  return checked;
}

/** The file's digest; undefined when it is not there (any longer). */
async function hashFile(path: string, digest: Digest): Promise<Digest | undefined> {
  const digester = new Digester(digestAlgorithm(digest));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      digester.update(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return digester.digest();
}

/** Each blob the record names that is not in the store, as a problem line. */
async function missingBlobs(store: Store, image: ImageRecord): Promise<string[]> {
  const where = `image ${image.id}`;
  const required: { what: string; digest: Digest }[] = [
    { what: "manifest", digest: image.manifest.digest },
    { what: "config", digest: image.id },
    ...image.layers
      .filter((l) => !isNonDistributableLayer(l.mediaType))
      .map((l) => ({ what: `layer ${image.layers.indexOf(l)}`, digest: l.digest })),
    ...image.repoDigests.map((rd) => ({ what: `repo digest ${rd.repository}`, digest: rd.digest })),
  ];
  const missing: string[] = [];
  for (const { what, digest } of required) {
    if (!(await store.blobs.has(digest))) missing.push(`${where}: ${what} blob ${digest} is missing`);
  }
  return missing;
}

async function checkImage(store: Store, listed: ImageRecord, problems: string[]): Promise<void> {
  // The records were read before the blobs: another process may since have deleted the image or
  // some of its references, and its GC the blobs. What is missing counts only as the record is now.
  let image: ImageRecord | undefined = listed;
  if ((await missingBlobs(store, listed)).length > 0) {
    image = store.read((r) => r.get(listed.manifest.digest));
    if (!image) return;
    problems.push(...(await missingBlobs(store, image)));
  }
  const where = `image ${image.id}`;
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
