/**
 * Listing parses each repository name once (images/model.ts FamiliarNames, format/image.ts's rows):
 * for every combination of odd names, tags and digests the result must be what parsing the whole
 * reference gives.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { imageRows } from "../../src/format/index.ts";
import { FamiliarNames } from "../../src/images/model.ts";
import { familiarName, familiarString, parseNormalizedNamed } from "../../src/oci/reference.ts";

const DOMAINS = ["", "docker.io/", "index.docker.io/", "localhost/", "localhost:5000/", "example.com/"];
const MORE_DOMAINS = ["Example.com/", "127.0.0.1:5070/", "[::1]:5000/", "a_b/", "docker.io:443/"];
const PATHS = ["busybox", "library/busybox", "library/a/b", "a/b/c", "UPPER", "a__b", "a..b", "library", ""];
const MORE_PATHS = ["a".repeat(64), "b".repeat(260), "a/", "x:1"];
const TAGS = ["latest", "v1", "", "-bad", "t".repeat(128), "t".repeat(129), "a.b-c_d", "UPPER", "a/b"];
const DIGESTS = [
  `sha256:${"0".repeat(64)}`,
  `sha512:${"f".repeat(128)}`,
  `sha256:${"a".repeat(63)}`,
  `sha256:${"A".repeat(64)}`,
  `SHA256:${"a".repeat(64)}`,
  `md5:${"a".repeat(32)}`,
  "sha256:",
];

function familiar(full: string): string {
  try {
    return familiarString(parseNormalizedNamed(full));
  } catch {
    return full;
  }
}

const repositories = [...DOMAINS, ...MORE_DOMAINS].flatMap((d) =>
  [...PATHS, ...MORE_PATHS].map((p) => d + p),
);

test("FamiliarNames gives familiar() of name:tag and name@digest", () => {
  const names = new FamiliarNames();
  for (const repository of repositories) {
    for (const tag of TAGS) {
      const full = `${repository}:${tag}`;
      assert.equal(names.tagged(repository, tag), familiar(full), full);
    }
    for (const digest of DIGESTS) {
      const full = `${repository}@${digest}`;
      assert.equal(names.digested(repository, digest), familiar(full), full);
    }
  }
});

/** imageRows as it was: every reference parsed whole. */
function expectedRows(tags: string[], digests: string[], withDigests: boolean): string[] {
  const group = (refs: string[], pick: "tag" | "digest") => {
    const out = new Map<string, string[]>();
    for (const s of refs) {
      let ref: ReturnType<typeof parseNormalizedNamed>;
      try {
        ref = parseNormalizedNamed(s);
      } catch {
        continue;
      }
      const value = ref[pick];
      if (value === undefined) continue;
      const repo = familiarName(ref);
      out.set(repo, [...(out.get(repo) ?? []), value]);
    }
    return out;
  };
  const rows: string[] = [];
  const byTag = group(tags, "tag");
  const byDigest = group(digests, "digest");
  for (const [repo, values] of byTag) {
    const ds = withDigests ? (byDigest.get(repo) ?? []) : [];
    byDigest.delete(repo);
    for (const t of values) {
      if (ds.length === 0) rows.push(`${repo} ${t} <none>`);
      for (const d of ds) rows.push(`${repo} ${t} ${d}`);
    }
  }
  for (const [repo, ds] of byDigest) {
    if (withDigests) for (const d of ds) rows.push(`${repo} <none> ${d}`);
    else rows.push(`${repo} <none> `);
  }
  return rows;
}

test("image rows name the repositories, tags and digests that parsing each reference gives", () => {
  const id = `sha256:${"1".repeat(64)}`;
  for (const repository of repositories) {
    const tags = [...TAGS.map((t) => `${repository}:${t}`), repository, `${repository}:v1@${DIGESTS[0]}`];
    const digests = [...DIGESTS.map((d) => `${repository}@${d}`), `${repository}:latest`];
    for (const digest of [false, true]) {
      // Twice: the second image finds the names already parsed.
      const rows = imageRows(
        [
          { ID: id, RepoTags: tags, RepoDigests: digests, Created: 0, Size: 1 },
          { ID: id, RepoTags: tags, RepoDigests: digests, Created: 0, Size: 1 },
        ],
        { format: "table", trunc: true, digest },
      ).map((r) => `${r.Repository} ${r.Tag} ${r.Digest}`);
      const once = expectedRows(tags, digests, digest);
      assert.deepEqual(rows, [...once, ...once], repository);
    }
  }
});
