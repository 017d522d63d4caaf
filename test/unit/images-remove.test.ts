/**
 * moby's ImageDelete rules, every branch, on real stores made from the fixtures: untag by reference,
 * the digest references that go with a repository's last tag, the single-repository rule for IDs,
 * the conflict and --force, shared layers, images that are two manifests, and garbage collection.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  chainIds,
  type DeleteResponse,
  hasFatalError,
  type ImageReference,
  isSingleReference,
  loadImages,
  parseTagArguments,
  removeImages,
  tagImage,
} from "../../src/images/index.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { bytesSource, checkStore, type ImageData, Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { tempDir } from "../helpers/tmp.ts";

const REG = "127.0.0.1:5070/busybox";
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const MULTI_ID = "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907";
const OCI_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";
const CHAINS_TOP_FIRST = [
  "sha256:dbfa4c7f84c4ae685a7c1288ef242cf92b02e14bfa97827a679dd2cade07a9f1",
  "sha256:fe1171ba450a53062a7cc28bfed7b205371ac4d901dc11f69d1606d0d93badc0",
  "sha256:358fca316c443fd09d6e517c0d10cfc378f7111fda4dfd0fe3dd1fdacc0499b0",
];
const MULTI = join(FIXTURES_DIR, "oci/busybox-multi");

/** The same image under a Docker v2 schema 2 manifest (as `skopeo --format v2s2` makes one). */
async function addDockerManifest(store: Store, oci: ImageData, tag: string): Promise<ImageData> {
  const manifest = JSON.parse((await store.blobs.readBytes(oci.manifest.digest)).toString()) as {
    config: { mediaType: string };
    layers: { mediaType: string }[];
  };
  manifest.config.mediaType = "application/vnd.docker.container.image.v1+json";
  for (const l of manifest.layers) l.mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      ...manifest,
    }),
  );
  const digest = digestBytes(bytes);
  const lease = store.lease();
  await store.ingest({ digest, size: bytes.length, source: bytesSource(bytes), lease });
  const image: ImageData = {
    ...oci,
    manifest: {
      digest,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      size: bytes.length,
    },
    layers: oci.layers.map((l) => ({ ...l, mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip" })),
  };
  await store.update((w) => {
    w.putImage(image);
    w.setTag(tag, digest, null);
    w.addRepoDigest(digest, { repository: REG, ...image.manifest });
  });
  await lease.release();
  return image;
}

/** busybox as REG:latest (+ its RepoDigest); optionally REG:v2s2 (same ID) and REG:multi (arm64, shared layers). */
async function fixtureStore(options: { v2s2?: boolean; multi?: boolean } = {}) {
  const store = await Store.open({ root: tempDir() });
  const oci = await importLayoutImage(store, join(FIXTURES_DIR, "oci/busybox"), { tag: `${REG}:latest` });
  await store.update((w) => w.addRepoDigest(oci.manifest.digest, { repository: REG, ...oci.manifest }));
  const v2s2 = options.v2s2 ? await addDockerManifest(store, oci, `${REG}:v2s2`) : undefined;
  let multi: ImageData | undefined;
  if (options.multi) {
    const index = JSON.parse(readFileSync(join(MULTI, "blobs/sha256", INDEX.slice(7)), "utf8")) as {
      manifests: {
        digest: Digest;
        mediaType: string;
        size: number;
        platform: { os: string; architecture: string };
      }[];
    };
    const arm = index.manifests.find((m) => m.platform.architecture === "arm64")!;
    multi = await importLayoutImage(store, MULTI, { manifest: arm, tag: `${REG}:multi` });
    const bytes = readFileSync(join(MULTI, "blobs/sha256", INDEX.slice(7)));
    const lease = store.lease();
    await store.ingest({ digest: INDEX as Digest, size: bytes.length, source: bytesSource(bytes), lease });
    await store.update((w) =>
      w.addRepoDigest(multi!.manifest.digest, {
        repository: REG,
        digest: INDEX as Digest,
        mediaType: "application/vnd.oci.image.index.v1+json",
        size: bytes.length,
      }),
    );
    await lease.release();
  }
  return { store, oci, v2s2, multi };
}

async function rmi(store: Store, inputs: string[], force = false) {
  const result = await removeImages(store, inputs, { force });
  return result;
}

async function rmiOk(store: Store, input: string, force = false): Promise<string[]> {
  const { outcomes } = await rmi(store, [input], force);
  assert.equal(outcomes[0]?.error, undefined, String(outcomes[0]?.error));
  return lines(outcomes[0]!.records!);
}

function lines(records: DeleteResponse[]): string[] {
  return records.map((r) => (r.Deleted !== undefined ? `Deleted: ${r.Deleted}` : `Untagged: ${r.Untagged}`));
}

async function tags(store: Store): Promise<string[]> {
  return (await loadImages(store, { computeSizes: false })).flatMap((i) => [...i.repoTags, ...i.repoDigests]);
}

test("by tag, when other tags remain: only that tag goes (18-rmi-untag.txt)", async () => {
  const { store } = await fixtureStore({ v2s2: true });
  await tagImage(store, `${REG}:latest`, parseTagArguments(`${REG}:latest`, "myapp:v1.0.0"));
  assert.deepEqual(await rmiOk(store, "myapp:v1.0.0"), ["Untagged: myapp:v1.0.0"]);
  assert.ok(!(await tags(store)).includes("myapp:v1.0.0"));
  assert.equal((await loadImages(store)).length, 1);
  store.close();
});

test("by its last tag: the repository's digests go, then the image and its layers, top first (31-rmi-nodeapp.txt)", async () => {
  const { store, oci } = await fixtureStore();
  assert.deepEqual(await rmiOk(store, `${REG}:latest`), [
    `Untagged: ${REG}:latest`,
    `Untagged: ${REG}@${OCI_MANIFEST}`,
    `Deleted: ${BUSYBOX_ID}`,
    ...CHAINS_TOP_FIRST.map((c) => `Deleted: ${c}`),
  ]);
  // Garbage collection took the blobs; what is left is a consistent, empty store.
  for (const d of [oci.manifest.digest, oci.id, ...oci.layers.map((l) => l.digest)]) {
    assert.ok(!existsSync(store.paths.blob(d)), `${d} removed`);
  }
  assert.deepEqual((await checkStore(store)).problems, []);
  store.close();
});

test("the last tag of one repository takes that repository's digests, not another's; the image stays", async () => {
  const { store } = await fixtureStore();
  await tagImage(store, BUSYBOX_ID, parseTagArguments(BUSYBOX_ID, "other/app:v1"));
  assert.deepEqual(await rmiOk(store, `${REG}:latest`), [
    `Untagged: ${REG}:latest`,
    `Untagged: ${REG}@${OCI_MANIFEST}`,
  ]);
  assert.deepEqual(await tags(store), ["other/app:v1"]);
  store.close();
});

test("by digest reference: only that reference goes while a tag remains", async () => {
  const { store } = await fixtureStore();
  assert.deepEqual(await rmiOk(store, `${REG}@${OCI_MANIFEST}`), [`Untagged: ${REG}@${OCI_MANIFEST}`]);
  assert.deepEqual(await tags(store), [`${REG}:latest`]);
  // Then the tag, the last reference: the image goes.
  assert.equal((await rmiOk(store, `${REG}:latest`)).length, 5);
  store.close();
});

test("by ID with one tag and digests of the same repository: everything is untagged and the image deleted", async () => {
  const { store } = await fixtureStore();
  assert.deepEqual(await rmiOk(store, "1c03f4e795fd"), [
    `Untagged: ${REG}:latest`,
    `Untagged: ${REG}@${OCI_MANIFEST}`,
    `Deleted: ${BUSYBOX_ID}`,
    ...CHAINS_TOP_FIRST.map((c) => `Deleted: ${c}`),
  ]);
  store.close();
});

test("by ID with two tags: 'referenced in multiple repositories' (19-rmi-conflict.txt); --force deletes", async () => {
  const { store, v2s2 } = await fixtureStore({ v2s2: true });
  const { outcomes } = await rmi(store, ["1c03f4e795fd"]);
  const err = outcomes[0]?.error;
  assert.ok(isWharfError(err, "IMAGE_CONFLICT"));
  assert.equal(
    err.message,
    "conflict: unable to delete 1c03f4e795fd (must be forced) - image is referenced in multiple repositories",
  );
  assert.ok(hasFatalError(outcomes));
  assert.equal((await tags(store)).length, 4, "nothing changed");
  assert.deepEqual(await rmiOk(store, `sha256:${BUSYBOX_ID.slice(7, 20)}`, true), [
    `Untagged: ${REG}:latest`,
    `Untagged: ${REG}:v2s2`,
    `Untagged: ${REG}@${OCI_MANIFEST}`,
    `Untagged: ${REG}@${v2s2!.manifest.digest}`,
    `Deleted: ${BUSYBOX_ID}`,
    ...CHAINS_TOP_FIRST.map((c) => `Deleted: ${c}`),
  ]);
  assert.equal((await loadImages(store)).length, 0, "both manifests of the image went");
  store.close();
});

test("an image that is two manifests goes only with its last reference", async () => {
  const { store, v2s2 } = await fixtureStore({ v2s2: true });
  assert.deepEqual(await rmiOk(store, `${REG}:latest`), [`Untagged: ${REG}:latest`]);
  assert.deepEqual(await rmiOk(store, `${REG}:v2s2`), [
    `Untagged: ${REG}:v2s2`,
    `Untagged: ${REG}@${OCI_MANIFEST}`,
    `Untagged: ${REG}@${v2s2!.manifest.digest}`,
    `Deleted: ${BUSYBOX_ID}`,
    ...CHAINS_TOP_FIRST.map((c) => `Deleted: ${c}`),
  ]);
  store.close();
});

test("layers another image uses stay: no layer lines until their last image goes", async () => {
  const { store, oci, multi } = await fixtureStore({ multi: true });
  assert.deepEqual(await rmiOk(store, `${REG}:multi`), [
    `Untagged: ${REG}:multi`,
    `Untagged: ${REG}@${INDEX}`,
    `Deleted: ${MULTI_ID}`,
  ]);
  assert.ok(!existsSync(store.paths.blob(multi!.id as Digest)), "the arm64 config went");
  assert.ok(existsSync(store.paths.blob(oci.layers[0]!.digest)), "shared layers stayed");
  assert.ok(
    !existsSync(store.paths.blob(INDEX as Digest)),
    "the index, referenced only by the RepoDigest, went",
  );
  assert.deepEqual(
    (await rmiOk(store, BUSYBOX_ID)).slice(-3),
    CHAINS_TOP_FIRST.map((c) => `Deleted: ${c}`),
  );
  store.close();
});

test("a dangling image by ID is deleted; a missing one is 'No such image', which --force forgives", async () => {
  const { store } = await fixtureStore({ multi: true });
  await store.update((w) => {
    w.removeTag(`${REG}:multi`);
    w.removeRepoDigest(REG, INDEX as Digest);
  });
  const { outcomes } = await rmi(store, ["nope", "d980", "nope:2"]);
  assert.equal(outcomes.length, 3);
  assert.ok(isWharfError(outcomes[0]!.error, "IMAGE_NOT_FOUND"));
  assert.equal((outcomes[0]!.error as Error).message, "No such image: nope:latest");
  assert.deepEqual(lines(outcomes[1]!.records!), [`Deleted: ${MULTI_ID}`]);
  assert.equal((outcomes[2]!.error as Error).message, "No such image: nope:2");
  assert.ok(!hasFatalError(outcomes), "only not-found errors: --force would exit 0");
  store.close();
});

test("isSingleReference: one repository, at most one tag", () => {
  const tag = (repository: string, t: string): ImageReference => ({
    full: `${repository}:${t}`,
    repository,
    tag: t,
    familiar: t,
  });
  const dig = (repository: string, d: string): ImageReference => ({
    full: `${repository}@${d}`,
    repository,
    digest: d as Digest,
    familiar: d,
  });
  assert.equal(isSingleReference([]), false);
  assert.equal(isSingleReference([tag("a", "1")]), true);
  assert.equal(isSingleReference([dig("a", "x")]), true);
  assert.equal(isSingleReference([tag("a", "1"), dig("a", "x"), dig("a", "y")]), true);
  assert.equal(isSingleReference([dig("a", "x"), dig("a", "y")]), true);
  assert.equal(isSingleReference([tag("a", "1"), tag("a", "2")]), false);
  assert.equal(isSingleReference([tag("a", "1"), dig("b", "x")]), false);
  assert.equal(isSingleReference([dig("a", "x"), dig("b", "y")]), false);
});

test("tag: the target is normalised, LastTagTime set, digests and 'sha256' refused, missing sources reported", async () => {
  const { store } = await fixtureStore({ v2s2: true });
  const when = new Date("2026-05-06T07:08:09.5Z");
  const result = await tagImage(store, "1c03f4", parseTagArguments("1c03f4", "myapp"), when);
  assert.deepEqual(result, { name: "docker.io/library/myapp:latest", id: BUSYBOX_ID });
  const [image] = await loadImages(store);
  assert.ok(image!.repoTags.includes("myapp:latest"));
  assert.equal(image!.lastTagTime, "2026-05-06T07:08:09.500Z");
  assert.throws(() => parseTagArguments("busybox", `myapp@${OCI_MANIFEST}`), {
    code: "IMAGE_TAG_REFUSED",
    message: "refusing to create a tag with a digest reference",
  });
  assert.throws(
    () => parseTagArguments("busybox", "myapp/App"),
    (e: unknown) =>
      isWharfError(e) &&
      e.message ===
        'Error parsing reference: "myapp/App" is not a valid repository/tag: invalid reference format: repository name (myapp/App) must be lowercase',
  );
  assert.throws(
    () => parseTagArguments("Busy", "x"),
    /Error parsing reference: "Busy" is not a valid repository\/tag: invalid reference format/,
  );
  await assert.rejects(() => tagImage(store, "busybox", parseTagArguments("busybox", "sha256:v1")), {
    message: "refusing to create an ambiguous tag using digest algorithm as name",
  });
  await assert.rejects(() => tagImage(store, "nope", parseTagArguments("nope", "x")), {
    message: "No such image: nope:latest",
  });
  assert.deepEqual(chainIds([]), []);
  store.close();
});
