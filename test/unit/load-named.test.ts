/**
 * loadImagesNamed reads only the images a name can mean; resolving a name among them must give what
 * resolving it among every image gives: the same image, or the same error. Checked over a store of
 * 24 images (two tagged twice, one with a repo digest, one untagged) and every kind of name: tags,
 * full and short IDs with and without "sha256:", one-character prefixes (shared by several images:
 * ambiguous), repo digests, names that mean nothing, and invalid ones.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadImages, loadImagesNamed, resolveImage, resolveNamed } from "../../src/images/index.ts";
import { Store } from "../../src/store/index.ts";
import { addTaggedImage } from "../helpers/synthetic.ts";
import { tempDir } from "../helpers/tmp.ts";

const root = join(tempDir("wharf-load-named-"), "store");
const store = await Store.open({ root });
after(() => store.close());

const images = [];
for (let i = 0; i < 24; i++) images.push(await addTaggedImage(store, `app${i}`, `label-${i}`));
const [first, second, untagged, pulled] = images as [
  (typeof images)[0],
  (typeof images)[0],
  (typeof images)[0],
  (typeof images)[0],
];
await store.update((w) => {
  w.setTag("docker.io/library/first-again:v1", first.manifest.digest, null);
  w.setTag("registry.example:5000/team/second:2", second.manifest.digest, null);
  w.removeTag("docker.io/library/app2:latest");
  w.addRepoDigest(pulled.manifest.digest, {
    repository: "registry.example/pulled",
    digest: pulled.manifest.digest,
    mediaType: pulled.manifest.mediaType,
    size: pulled.manifest.size,
  });
});

/** What resolving `input` among `all` gives: an ID and its RepoTags, or the error's code and message. */
function outcome(all: Awaited<ReturnType<typeof loadImages>>, input: string): string {
  try {
    const r = resolveImage(all, input);
    return `${r.group.id} ${r.group.repoTags.join(",")} ${r.group.repoDigests.join(",")}`;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `error ${e.code} ${e.message}`;
  }
}

test("the narrow candidates resolve every kind of name as all images do", async () => {
  const all = await loadImages(store);
  const hex = (id: string) => id.slice("sha256:".length);
  const inputs = [
    "app0",
    "app0:latest",
    "docker.io/library/app5:latest",
    "first-again:v1",
    "registry.example:5000/team/second:2",
    "app2",
    first.id,
    hex(first.id),
    hex(second.id).slice(0, 12),
    `sha256:${hex(second.id).slice(0, 12)}`,
    hex(untagged.id).slice(0, 6),
    `registry.example/pulled@${pulled.manifest.digest}`,
    `app3@${pulled.manifest.digest}`,
    ..."0123456789abcdef".split(""),
    "nosuch",
    "nosuch:1",
    "UPPER",
    "bad name",
    "sha256:",
    "",
  ];
  let ambiguous = 0;
  for (const input of inputs) {
    const narrow = await loadImagesNamed(store, input);
    assert.ok(narrow.length <= all.length);
    const expected = outcome(all, input);
    if (expected.startsWith("error IMAGE_ID_AMBIGUOUS")) ambiguous++;
    assert.equal(outcome(narrow, input), expected, JSON.stringify(input));
  }
  assert.ok(ambiguous > 0, "some one-character prefix is shared by several of the 24 images");
  // A tag reads one image, not the store.
  assert.equal((await loadImagesNamed(store, "app7")).length, 1);
});

test("resolveNamed runs on the image the name means", async () => {
  const id = await resolveNamed(store, "first-again:v1", (r) => r.group.id);
  assert.equal(id, first.id);
  await assert.rejects(
    resolveNamed(store, "nosuch", () => undefined),
    /No such image: nosuch:latest/,
  );
});
