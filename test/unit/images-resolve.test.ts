/** Docker's lookup of what a user names: IDs, prefixes, names, digests, and its error messages. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  groupRecords,
  isImageIdPrefix,
  referencesOf,
  resolveImage,
  searchIdPrefix,
} from "../../src/images/index.ts";
import type { Digest } from "../../src/oci/digest.ts";
import type { ImageRecord } from "../../src/store/index.ts";

const hex = (c: string) => c.repeat(64);
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5" as Digest;
const MULTI_ID = "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907" as Digest;
/** Shares "1c03" with busybox but not "1c03f". */
const OTHER_ID = `sha256:1c030${hex("a").slice(5)}` as Digest;
const OCI_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da" as Digest;
const V2S2_MANIFEST = "sha256:99f975dcd65e801d06d936adffa539fb4bd1b5d7a466db30ad624462d43e3b29" as Digest;
const ARM_MANIFEST = "sha256:b0032ce26ab2ab326bee631379d963b9520a6cf87eaebdc5f7a95611a2dc9e77" as Digest;
const INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834" as Digest;
const REG = "127.0.0.1:5070/busybox";

let clock = 0;
function record(
  id: Digest,
  manifest: Digest,
  tags: string[],
  repoDigests: { repository: string; digest: Digest }[] = [],
): ImageRecord {
  clock++;
  return {
    id,
    manifest: { digest: manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 659 },
    platform: { os: "linux", architecture: "amd64" },
    layers: [],
    size: 0,
    addedAt: `2026-01-01T00:00:${String(clock).padStart(2, "0")}.000Z`,
    tags: tags.map((name) => ({ name, lastTagTime: null })),
    repoDigests: repoDigests.map((d) => ({
      ...d,
      mediaType: "application/vnd.oci.image.index.v1+json",
      size: 1,
    })),
  };
}

const groups = groupRecords([
  record(
    BUSYBOX_ID,
    OCI_MANIFEST,
    [`${REG}:latest`, "docker.io/library/busybox:latest"],
    [{ repository: REG, digest: OCI_MANIFEST }],
  ),
  record(BUSYBOX_ID, V2S2_MANIFEST, [`${REG}:v2s2`], [{ repository: REG, digest: V2S2_MANIFEST }]),
  record(MULTI_ID, ARM_MANIFEST, [`${REG}:multi`], [{ repository: REG, digest: INDEX }]),
  record(OTHER_ID, hex("e") as unknown as Digest, [], []),
]);

function resolvesTo(input: string, id: string, manifest?: string) {
  const r = resolveImage(groups, input);
  assert.equal(r.group.id, id, input);
  if (manifest !== undefined) assert.equal(r.record?.manifest.digest, manifest, input);
  return r;
}

function fails(input: string, code: string, message: string) {
  assert.throws(
    () => resolveImage(groups, input),
    (err: unknown) => isWharfError(err) && err.code === code && err.message === message,
    input,
  );
}

test("records sharing a config are one image with both manifests' references, sorted as Docker lists them", () => {
  const busybox = groups.find((g) => g.id === BUSYBOX_ID)!;
  assert.equal(busybox.records.length, 2);
  assert.deepEqual(
    referencesOf(busybox).map((r) => r.familiar),
    [`${REG}:latest`, `${REG}:v2s2`, `${REG}@${OCI_MANIFEST}`, `${REG}@${V2S2_MANIFEST}`, "busybox:latest"],
  );
});

test("full IDs: sha256:<hex> and the bare 64 hex", () => {
  assert.equal(resolvesTo(BUSYBOX_ID, BUSYBOX_ID).byId, true);
  resolvesTo(BUSYBOX_ID.slice(7), BUSYBOX_ID);
  fails(`sha256:${hex("f")}`, "IMAGE_NOT_FOUND", `No such image: sha256:${hex("f")}`);
  fails(hex("f"), "IMAGE_NOT_FOUND", `No such image: sha256:${hex("f")}`);
});

test("ID prefixes of any length, with or without the algorithm, when unambiguous", () => {
  resolvesTo("1c03f", BUSYBOX_ID);
  resolvesTo("1c03f4e795fd", BUSYBOX_ID);
  resolvesTo("sha256:1c03f4e795fd", BUSYBOX_ID);
  resolvesTo("d", MULTI_ID);
  resolvesTo("1c030", OTHER_ID);
  // Docker reports an ambiguous prefix as a missing image named by it.
  fails("1c03", "IMAGE_ID_AMBIGUOUS", "No such image: 1c03:latest");
  fails("sha256:1c03", "IMAGE_ID_AMBIGUOUS", "No such image: sha256:1c03");
  fails("sha512:1c03f", "IMAGE_NOT_FOUND", "No such image: sha512:1c03f");
  assert.equal(searchIdPrefix(groups, "1c"), 2);
  assert.equal(searchIdPrefix(groups, "ffff"), 0);
});

test("names are normalised and default to :latest; a digest names a RepoDigest only", () => {
  assert.equal(resolvesTo(`${REG}:latest`, BUSYBOX_ID, OCI_MANIFEST).byId, false);
  resolvesTo(`${REG}:v2s2`, BUSYBOX_ID, V2S2_MANIFEST);
  resolvesTo("busybox", BUSYBOX_ID, OCI_MANIFEST);
  resolvesTo("docker.io/library/busybox:latest", BUSYBOX_ID);
  resolvesTo("library/busybox", BUSYBOX_ID);
  resolvesTo(`${REG}@${OCI_MANIFEST}`, BUSYBOX_ID, OCI_MANIFEST);
  resolvesTo(`${REG}@${INDEX}`, MULTI_ID, ARM_MANIFEST);
  // The platform manifest of an index pulled by tag is no reference docker knows (only the index is).
  fails(`${REG}@${ARM_MANIFEST}`, "IMAGE_NOT_FOUND", `No such image: ${REG}@${ARM_MANIFEST}`);
  // A tag beside a digest: the digest decides.
  resolvesTo(`${REG}:whatever@${V2S2_MANIFEST}`, BUSYBOX_ID, V2S2_MANIFEST);
  fails(`other/repo@${OCI_MANIFEST}`, "IMAGE_NOT_FOUND", `No such image: other/repo@${OCI_MANIFEST}`);
  fails(`${REG}:nope`, "IMAGE_NOT_FOUND", `No such image: ${REG}:nope`);
  fails("nope", "IMAGE_NOT_FOUND", "No such image: nope:latest");
  fails("nope:latest", "IMAGE_NOT_FOUND", "No such image: nope:latest");
});

test("a tag wins over an ID prefix that reads the same", () => {
  const tagged = groupRecords([
    record(BUSYBOX_ID, OCI_MANIFEST, []),
    record(MULTI_ID, ARM_MANIFEST, ["docker.io/library/1c03f4e795fd:latest"]),
  ]);
  assert.equal(resolveImage(tagged, "1c03f4e795fd").group.id, MULTI_ID);
  assert.equal(resolveImage(tagged, "1c03f4e795f").group.id, BUSYBOX_ID);
});

test("invalid references fail with the reference's own message", () => {
  fails(
    `${REG.replace("busybox", "Busybox")}:latest`,
    "REFERENCE_NAME_UPPERCASE",
    "invalid reference format: repository name (Busybox) must be lowercase",
  );
  fails(
    "Busybox",
    "REFERENCE_NAME_UPPERCASE",
    "invalid reference format: repository name (library/Busybox) must be lowercase",
  );
  fails("busy box", "REFERENCE_INVALID_FORMAT", "invalid reference format");
  fails("", "REFERENCE_INVALID_FORMAT", "invalid reference format");
});

test("isImageIdPrefix: moby's test for 'the user gave an ID'", () => {
  assert.ok(isImageIdPrefix(BUSYBOX_ID, "1c03"));
  assert.ok(isImageIdPrefix(BUSYBOX_ID, "sha256:1c03"));
  assert.ok(isImageIdPrefix(BUSYBOX_ID, BUSYBOX_ID));
  assert.ok(!isImageIdPrefix(BUSYBOX_ID, "busybox"));
  assert.ok(!isImageIdPrefix(BUSYBOX_ID, `${REG}:latest`));
});
