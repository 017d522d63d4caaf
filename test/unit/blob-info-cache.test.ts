import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { digestBytes } from "../../src/oci/digest.ts";
import { BlobInfoCache } from "../../src/transport/blob-info-cache.ts";
import { tempDir } from "../helpers/tmp.ts";

const a = digestBytes("a");
const b = digestBytes("b");

test("repositories per (registry, digest), most recent first, kept across opens", () => {
  const root = tempDir("wharf-bic-");
  const cache = BlobInfoCache.forStore(root);
  cache.record({ registry: "r:1", repository: "one" }, [a, b]);
  cache.record({ registry: "r:1", repository: "two" }, [a]);
  cache.record({ registry: "r:2", repository: "three" }, [a]);
  cache.record({ registry: "r:1", repository: "one" }, [b]);
  cache.close();
  const again = BlobInfoCache.forStore(root);
  assert.deepEqual(again.candidates("r:1", a), ["two", "one"]);
  assert.deepEqual(again.candidates("r:1", b), ["one"]);
  assert.deepEqual(again.candidates("r:2", a), ["three"]);
  assert.deepEqual(again.candidates("r:3", a), []);
  again.record({ registry: "r:1", repository: "one" }, [a]);
  assert.deepEqual(again.candidates("r:1", a), ["one", "two"]);
  again.close();
});

test("only the 16 most recent repositories are kept", () => {
  const cache = BlobInfoCache.forStore(tempDir("wharf-bic-"));
  for (let i = 0; i < 20; i += 1) cache.record({ registry: "r", repository: `repo${i}` }, [a]);
  const got = cache.candidates("r", a);
  assert.equal(got.length, 16);
  assert.equal(got[0], "repo19");
  assert.equal(got.at(-1), "repo4");
  cache.close();
});

test("a broken cache file is an empty cache, never an error", () => {
  const root = tempDir("wharf-bic-");
  writeFileSync(join(root, "blob-info.db"), "this is not a database, just bytes ".repeat(100));
  const cache = BlobInfoCache.forStore(root);
  cache.record({ registry: "r", repository: "x" }, [a]);
  assert.deepEqual(cache.candidates("r", a), []);
  cache.close();
});
