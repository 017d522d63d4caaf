/**
 * A separate wharf process for the crash and concurrency tests, using only the public store API.
 *   crash ROOT SEED      ingest a 32 MiB blob, record and tag an image of it, drop the previous seed's image, GC
 *   mix ROOT WORKER      ingest an overlapping set of blobs, tag images of them; prints the ingest results as JSON
 */
import { collectGarbage, Store } from "../../src/store/index.ts";
import { generatedBlob, syntheticImage } from "./synthetic.ts";

const [mode, root, arg] = process.argv.slice(2);
if (!mode || !root || arg === undefined) throw new Error("usage: store-worker crash|mix ROOT N");
const store = await Store.open({ root });
// The crash test times its kill from here, so that kills land in the work rather than in start-up.
process.stdout.write("opened\n");

if (mode === "crash") {
  const seed = Number(arg);
  const lease = store.lease();
  const blob = generatedBlob(`crash-${seed}`, 32);
  const ingested = await store.ingest({ digest: blob.digest, size: blob.size, source: blob.source, lease });
  process.stdout.write(`${JSON.stringify({ resumedFrom: ingested.resumedFrom })}\n`);
  const image = await syntheticImage(store, lease, [blob], `crash-${seed}`);
  await store.update((records) => {
    records.putImage(image);
    records.setTag(`docker.io/library/crash:${seed}`, image.manifest.digest, null);
    records.setTag("docker.io/library/crash:latest", image.manifest.digest, new Date());
    records.addRepoDigest(image.manifest.digest, {
      repository: "docker.io/library/crash",
      ...image.manifest,
    });
  });
  const previous = store.read((r) => r.byTag(`docker.io/library/crash:${seed - 1}`));
  if (previous) await store.update((records) => records.deleteImage(previous.manifest.digest));
  await lease.release();
  await collectGarbage(store);
} else if (mode === "mix") {
  const worker = Number(arg);
  const lease = store.lease();
  const results = [];
  // 12 shared blobs of 2 MiB; worker k takes six of them starting at 2k, so every blob has several writers.
  const blobs = Array.from({ length: 6 }, (_, i) => generatedBlob(`mix-${(2 * worker + i) % 12}`, 2));
  for (const blob of blobs) {
    const r = await store.ingest({ digest: blob.digest, size: blob.size, source: blob.source, lease });
    results.push({ digest: r.digest, existed: r.existed });
  }
  const tags: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const image = await syntheticImage(store, lease, blobs.slice(i, i + 3), `mix-${worker}-${i}`);
    const tag = `docker.io/library/mix:w${worker}-${i}`;
    await store.update((records) => {
      records.putImage(image);
      records.setTag(tag, image.manifest.digest, null);
      records.setTag("docker.io/library/mix:shared", image.manifest.digest, new Date());
    });
    tags.push(tag);
  }
  await lease.release();
  process.stdout.write(`${JSON.stringify({ results, tags })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
store.close();
