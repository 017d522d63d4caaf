/** docker images' filters, the --filter flag, times as Docker reads them, and disk-usage arithmetic. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  addFilter,
  chainIds,
  getBoolOrDefault,
  groupRecords,
  imageDiskUsage,
  type LocalImage,
  listImages,
  matchKVList,
  newFilters,
  normaliseRFC3339,
  parseFilterFlag,
  parseGoDuration,
  parseRFC3339,
  parseTimestamp,
  referencesOf,
} from "../../src/images/index.ts";
import type { Digest } from "../../src/oci/digest.ts";
import type { ImageRecord } from "../../src/store/index.ts";

const hex = (c: string) => `sha256:${c.repeat(64)}` as Digest;

let n = 0;
/** A LocalImage as loadImages would give it, without a store. */
function image(options: {
  id: Digest;
  tags?: string[];
  digests?: { repository: string; digest: Digest }[];
  created?: string;
  labels?: Record<string, string>;
  diffIds?: Digest[];
  sizes?: number[];
}): LocalImage {
  n++;
  const record: ImageRecord = {
    id: options.id,
    manifest: {
      digest: hex(String(n % 10)),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      size: 1,
    },
    platform: { os: "linux", architecture: "amd64" },
    layers: [],
    size: 0,
    addedAt: `2026-01-01T00:00:${String(n).padStart(2, "0")}Z`,
    tags: (options.tags ?? []).map((name) => ({ name, lastTagTime: null })),
    repoDigests: (options.digests ?? []).map((d) => ({ ...d, mediaType: "x", size: 1 })),
  };
  const [group] = groupRecords([record]);
  const refs = referencesOf(group!);
  const parsed = options.created ? parseRFC3339(options.created) : undefined;
  const diffIds = options.diffIds ?? [];
  const sizes = options.sizes ?? diffIds.map(() => 100);
  return {
    ...group!,
    references: refs,
    repoTags: refs.filter((r) => r.tag).map((r) => r.familiar),
    repoDigests: refs.filter((r) => r.digest).map((r) => r.familiar),
    config: {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: diffIds },
      ...(options.labels ? { config: { Labels: options.labels } } : {}),
    },
    ...(parsed ? { created: options.created!, createdInstant: parsed.instant } : {}),
    createdUnix: parsed ? Number(parsed.instant / 1_000_000_000n) : 0,
    diffIds,
    chainIds: chainIds(diffIds),
    layerSizes: sizes,
    size: sizes.reduce((a, b) => a + b, 0),
  };
}

const old = image({
  id: hex("a"),
  tags: ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"],
  digests: [{ repository: "docker.io/library/busybox", digest: hex("d") }],
  created: "2020-01-01T00:00:00Z",
  labels: { maintainer: "me", tier: "base" },
});
const middle = image({
  id: hex("b"),
  tags: ["127.0.0.1:5070/team/app:v1"],
  created: "2023-06-01T12:00:00.5Z",
  labels: { tier: "app" },
});
const digestOnly = image({
  id: hex("c"),
  digests: [{ repository: "docker.io/library/alpine", digest: hex("e") }],
  created: "2024-01-01T00:00:00Z",
});
const dangling = image({ id: hex("f"), created: "2025-01-01T00:00:00Z" });
const all = [old, middle, digestOnly, dangling];

function ids(filters: [string, string][] = []): string[] {
  const f = newFilters();
  for (const [k, v] of filters) addFilter(f, k, v);
  return listImages(all, { filters: f, now: parseRFC3339("2026-01-01T00:00:00Z")!.instant }).map((l) =>
    l.image.id.slice(7, 8),
  );
}

function rejects(filters: [string, string][], message: string) {
  assert.throws(
    () => ids(filters),
    (e: unknown) => isWharfError(e) && e.message === message,
  );
}

test("newest first; dangling and digest-only images are listed (docker 28 with no filter)", () => {
  assert.deepEqual(ids(), ["f", "c", "b", "a"]);
  const [summary] = listImages([old]).map((l) => l.summary);
  assert.deepEqual(summary, {
    ID: old.id,
    ParentId: "",
    RepoTags: ["busybox:1.36", "busybox:latest"],
    RepoDigests: [`busybox@${hex("d")}`],
    Created: 1577836800,
    Size: 0,
    SharedSize: -1,
    Containers: -1,
    Labels: { maintainer: "me", tier: "base" },
  });
});

test("dangling=true: images without tags (digest-only ones too); dangling=false: images with any reference", () => {
  assert.deepEqual(ids([["dangling", "true"]]), ["f", "c"]);
  assert.deepEqual(ids([["dangling", "1"]]), ["f", "c"]);
  assert.deepEqual(ids([["dangling", "false"]]), ["c", "b", "a"]);
  rejects([["dangling", "maybe"]], "invalid filter 'dangling=[maybe]'");
  rejects(
    [
      ["dangling", "true"],
      ["dangling", "false"],
    ],
    "invalid filter 'dangling=[true false]'",
  );
});

test("reference: path.Match on the familiar name or name:tag; only matching references are shown", () => {
  assert.deepEqual(ids([["reference", "busybox"]]), ["a"]);
  assert.deepEqual(ids([["reference", "busybox:1.*"]]), ["a"]);
  const listed = listImages(all, { filters: addFilter(newFilters(), "reference", "busybox:1.*") });
  assert.deepEqual(listed[0]!.summary.RepoTags, ["busybox:1.36"]);
  assert.deepEqual(listed[0]!.summary.RepoDigests, []);
  assert.deepEqual(ids([["reference", "127.0.0.1:5070/*/*"]]), ["b"]);
  assert.deepEqual(ids([["reference", "*/*/app:v1"]]), ["b"]);
  assert.deepEqual(ids([["reference", "*/app:v1"]]), [], "* does not match a /");
  // Several patterns: any of them.
  assert.deepEqual(
    ids([
      ["reference", "alpine"],
      ["reference", "busybox"],
    ]),
    ["c", "a"],
  );
  rejects([["reference", "[z-a"]], "syntax error in pattern");
});

test("before / since another image, until a time or a duration ago", () => {
  assert.deepEqual(ids([["before", "b"]]), ["a"]);
  assert.deepEqual(ids([["since", "b"]]), ["f", "c"]);
  assert.deepEqual(ids([["since", "busybox:1.36"]]), ["f", "c", "b"]);
  assert.deepEqual(ids([["until", "2023-06-01T12:00:00.6Z"]]), ["b", "a"]);
  assert.deepEqual(ids([["until", "2023-06-01T12:00:00.5Z"]]), ["a"]);
  assert.deepEqual(ids([["until", "2024-01-01"]]), ["b", "a"]);
  assert.deepEqual(ids([["until", String(Date.UTC(2024, 0, 1, 0, 0, 1) / 1000)]]), ["c", "b", "a"]);
  // "Now" is 2026-01-01: 8760h ago is 2025-01-01, 200 days ago is mid-2025.
  assert.deepEqual(ids([["until", "8761h"]]), ["c", "b", "a"]);
  assert.deepEqual(ids([["until", "4800h"]]), ["f", "c", "b", "a"]);
  rejects([["before", "nope"]], "No such image: nope:latest");
  rejects([["until", "yesterday"]], 'failed to parse value as time or duration: "yesterday"');
});

test("label=key and label=key=value, all of them must match", () => {
  assert.deepEqual(ids([["label", "tier"]]), ["b", "a"]);
  assert.deepEqual(ids([["label", "tier=app"]]), ["b"]);
  assert.deepEqual(
    ids([
      ["label", "tier"],
      ["label", "maintainer=me"],
    ]),
    ["a"],
  );
  assert.deepEqual(ids([["label", "nope"]]), []);
});

test("unknown filters are refused with docker's words; label! is for prune only", () => {
  rejects([["x", "1"]], "invalid filter 'x'");
  rejects([["label!", "a"]], "invalid filter 'label!'");
});

test("--filter values: name=value, the name lower-cased and both trimmed, several values per name", () => {
  const f = parseFilterFlag(" Dangling = true ");
  parseFilterFlag("label=a=b", f);
  parseFilterFlag("label=c", f);
  parseFilterFlag("", f);
  assert.deepEqual(
    [...f.entries()].map(([k, v]) => [k, [...v]]),
    [
      ["dangling", ["true"]],
      ["label", ["a=b", "c"]],
    ],
  );
  assert.throws(() => parseFilterFlag("dangling"), { message: "bad format of filter (expected name=value)" });
  assert.equal(getBoolOrDefault(f, "dangling", false), true);
  assert.equal(getBoolOrDefault(f, "other", true), true);
  assert.equal(matchKVList(f, "label", { a: "b", c: "" }), true);
  assert.equal(matchKVList(f, "label", { a: "x", c: "" }), false);
  assert.equal(matchKVList(f, "label", null), false);
  assert.equal(matchKVList(f, "none", null), true);
});

test("times: RFC 3339 to the nanosecond, Go's RFC3339Nano output, durations, docker's timestamps", () => {
  assert.equal(normaliseRFC3339("2026-11-28T03:00:24.863511584Z"), "2026-11-28T03:00:24.863511584Z");
  assert.equal(normaliseRFC3339("2026-11-28T03:00:24.500000000Z"), "2026-11-28T03:00:24.5Z");
  assert.equal(normaliseRFC3339("2026-11-28T05:00:24+02:00"), "2026-11-28T05:00:24+02:00");
  assert.equal(normaliseRFC3339("2026-11-28T03:00:24+00:00"), "2026-11-28T03:00:24Z");
  assert.equal(parseRFC3339("1970-01-01T00:00:01.000000001Z")!.instant, 1_000_000_001n);
  assert.equal(parseRFC3339("0001-01-01T00:00:00Z")!.instant, -62135596800n * 1_000_000_000n);
  assert.equal(parseRFC3339("2026-02-30"), undefined);
  assert.equal(parseGoDuration("1h30m"), 5400n * 1_000_000_000n);
  assert.equal(parseGoDuration("1.5s"), 1_500_000_000n);
  assert.equal(parseGoDuration("-10ms"), -10_000_000n);
  assert.equal(parseGoDuration("10"), undefined);
  assert.equal(parseGoDuration("h"), undefined);
  const now = parseRFC3339("2026-01-01T00:00:00.7Z")!.instant;
  assert.equal(parseTimestamp("1h", now), parseRFC3339("2025-12-31T23:00:00Z")!.instant);
  assert.equal(parseTimestamp("1700000000.5", now), 1_700_000_000_500_000_000n);
  assert.equal(parseTimestamp("2025-01-02T03:04:05Z", now), parseRFC3339("2025-01-02T03:04:05Z")!.instant);
  assert.equal(parseTimestamp("2025-01-02T03:04Z", now), parseRFC3339("2025-01-02T03:04:00Z")!.instant);
  assert.throws(() => parseTimestamp("2025-13-01", now), { code: "FILTER_INVALID" });
});

test("disk usage: each layer (by ChainID) once; shared size is what another image also uses", () => {
  const base = [`sha256:${"1".repeat(64)}`, `sha256:${"2".repeat(64)}`] as Digest[];
  const a = image({ id: hex("a"), tags: ["docker.io/library/a:1"], diffIds: base, sizes: [1000, 10] });
  const b = image({
    id: hex("b"),
    tags: ["docker.io/library/b:1"],
    diffIds: [...base, hex("3")],
    sizes: [1000, 10, 5],
  });
  // Same diff ID, other position: another layer (another ChainID).
  const c = image({ id: hex("c"), tags: ["docker.io/library/c:1"], diffIds: [base[1]!], sizes: [10] });
  const usage = imageDiskUsage([a, b, c]);
  assert.equal(usage.layersSize, 1000 + 10 + 5 + 10);
  const shared = Object.fromEntries(
    usage.images.map((i) => [i.RepoTags[0], [i.SharedSize, i.Size, i.Containers]]),
  );
  assert.deepEqual(shared, { "a:1": [1010, 1010, 0], "b:1": [1010, 1015, 0], "c:1": [0, 10, 0] });
});
