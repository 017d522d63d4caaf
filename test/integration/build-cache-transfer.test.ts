/**
 * --cache-to / --cache-from (src/build/engine/cache-transfer.ts): a Dockerfile (FROM the busybox
 * fixture on a real registry, RUN, COPY, RUN) built by the engine in store A, its cache exported to a
 * local OCI layout and to the registry; a fresh store that imports either builds the same image with
 * every layer step a cache hit. A hostile or corrupt cache is refused and records nothing; a missing
 * one is a warning and the build still works.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type BuildResult, build } from "../../src/build/engine/builder.ts";
import { BUILD_CACHE_CONFIG_MEDIA_TYPE } from "../../src/build/engine/cache-manifest.ts";
import {
  type CacheLocation,
  type CacheTransferContext,
  exportBuildCache,
  importBuildCache,
  parseCacheSpec,
} from "../../src/build/engine/cache-transfer.ts";
import type { BuildEvent } from "../../src/build/engine/request.ts";
import { isWharfError } from "../../src/errors.ts";
import { defaultPlatform, type Platform } from "../../src/oci/platform.ts";
import { parseNormalizedNamed } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/registry/client/index.ts";
import { listBuildCache } from "../../src/store/build-cache.ts";
import type { ManifestRef } from "../../src/store/records.ts";
import { Store } from "../../src/store/store.ts";
import { copyAndCommit } from "../../src/transport/copy.ts";
import { openOciLayoutSource } from "../../src/transport/oci-layout-source.ts";
import { pullImage } from "../../src/transport/pull.ts";
import { RegistryDestination } from "../../src/transport/registry-destination.ts";
import { RegistrySource } from "../../src/transport/registry-source.ts";
import { StoreDestination } from "../../src/transport/store-destination.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { unmountUnder } from "../helpers/mounts.ts";
import { tempDir } from "../helpers/tmp.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const HOST = registry.host;

const DOCKERFILE = `FROM ${HOST}/busybox:latest
RUN echo built-once > /stamp && date +%s%N > /when
COPY data.txt /data.txt
RUN cat /data.txt >> /stamp
`;

const ctx: CacheTransferContext = { registryClient: async (ref) => new RegistryClient(ref.domain) };

async function openStore(): Promise<Store> {
  const root = tempDir("wharf-cache-transfer-store-");
  const store = await Store.open({ root });
  // after() runs in reverse order: close, then unmount, then tempDir's removal.
  after(() => unmountUnder(root));
  after(() => store.close());
  return store;
}

/** A context directory of its own per build (another machine's checkout: other paths, other mtimes). */
function context(): string {
  const dir = tempDir("wharf-cache-transfer-ctx-");
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(dir, "data.txt"), "some data\n");
  return dir;
}

async function resolveBase(store: Store, name: string, platform: Platform): Promise<ManifestRef> {
  const ref = parseNormalizedNamed(name);
  const source = new RegistrySource(new RegistryClient(ref.domain), ref);
  try {
    return (await pullImage(store, ref, source, { platform })).image.manifest;
  } finally {
    await source.close();
  }
}

interface Built {
  id: string;
  layers: string[];
  /** The RUN/COPY vertices, each with whether it was a cache hit. */
  steps: { name: string; cached: boolean }[];
}

/** Builds DOCKERFILE in `store` through the engine and commits the image there, as the CLI does. */
async function buildIn(store: Store): Promise<Built> {
  const names = new Map<number, string>();
  const cached = new Set<number>();
  const onEvent = (e: BuildEvent) => {
    if (e.type === "vertex") names.set(e.id, e.name);
    if (e.type === "cached") cached.add(e.id);
  };
  const contextDir = context();
  const result: BuildResult = await build({
    store,
    contextDir,
    dockerfile: DOCKERFILE,
    dockerfilePath: join(contextDir, "Dockerfile"),
    buildArgs: {},
    platform: defaultPlatform(),
    noCache: false,
    labels: {},
    network: "default",
    secrets: [],
    addHosts: [],
    compression: "none",
    resolveBase: (name, platform) => resolveBase(store, name, platform),
    onEvent,
  });
  try {
    await copyAndCommit(result.source, new StoreDestination(store));
  } finally {
    await result.release();
  }
  const manifest = JSON.parse(new TextDecoder().decode(result.documents.manifest.bytes));
  const steps = [...names]
    .filter(([, name]) => /\] (RUN|COPY) /.test(name))
    .map(([id, name]) => ({ name, cached: cached.has(id) }));
  assert.equal(steps.length, 3, `the three layer steps: ${[...names.values()].join("; ")}`);
  return {
    id: result.documents.config.digest,
    layers: manifest.layers.map((l: { digest: string }) => l.digest),
    steps,
  };
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

const blobPath = (dir: string, digest: string) =>
  join(dir, "blobs", "sha256", digest.slice("sha256:".length));

/** The parts of a cache layout's documents the tests read and change. */
interface LayoutJson {
  manifests: { digest: string; size: number; annotations: Record<string, string> }[];
}
interface RecordJson {
  key: string;
  layer: { digest: string; mediaType: string; size: number; diffId: string };
  chainId: string;
  created: string;
}
interface ManifestJson {
  config: { mediaType: string; digest: string; size: number };
  layers: { digest: string }[];
}
interface ConfigJson {
  records: RecordJson[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/**
 * A copy of the cache layout at `src` whose config (and manifest) `mutate` changed; returning bytes
 * replaces the config's bytes outright.
 */
function tamperedLayout(
  src: string,
  mutate: (config: ConfigJson, manifest: ManifestJson) => Uint8Array | undefined,
): string {
  const dir = tempDir("wharf-cache-tampered-");
  cpSync(src, dir, { recursive: true });
  const index = readJson<LayoutJson>(join(dir, "index.json"));
  const manifest = readJson<ManifestJson>(blobPath(dir, index.manifests[0]!.digest));
  const config = readJson<ConfigJson>(blobPath(dir, manifest.config.digest));
  const raw = mutate(config, manifest);
  const configBytes = raw ?? Buffer.from(JSON.stringify(config));
  writeFileSync(blobPath(dir, sha256(configBytes)), configBytes);
  manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  writeFileSync(blobPath(dir, sha256(manifestBytes)), manifestBytes);
  index.manifests[0] = { ...index.manifests[0]!, digest: sha256(manifestBytes), size: manifestBytes.length };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  return dir;
}

async function assertRefused(location: CacheLocation, pattern: RegExp): Promise<void> {
  const store = await openStore();
  await assert.rejects(importBuildCache(store, location, ctx), (err: unknown) => {
    assert.ok(isWharfError(err, "BUILD_CACHE_INVALID"), `BUILD_CACHE_INVALID, got ${String(err)}`);
    assert.match((err as Error).message, pattern);
    return true;
  });
  assert.deepEqual(listBuildCache(store.db), [], "a refused cache records nothing");
}

describe("build cache export and import", async () => {
  const storeA = await openStore();
  const builtA = await buildIn(storeA);
  const entries = listBuildCache(storeA.db);
  const localDir = join(tempDir("wharf-cache-local-"), "cache");
  const registryRef = `${HOST}/cache/app:buildcache`;

  test("store A ran every step and recorded three cache entries", () => {
    assert.deepEqual(
      builtA.steps.map((s) => s.cached),
      [false, false, false],
    );
    assert.equal(entries.length, 3);
  });

  test("export to a local directory: one manifest tagged latest, the config of the records", async () => {
    await exportBuildCache(storeA, entries, { type: "local", dir: localDir }, ctx);
    const index = readJson<LayoutJson>(join(localDir, "index.json"));
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0]!.annotations["org.opencontainers.image.ref.name"], "latest");
    const manifest = readJson<ManifestJson>(blobPath(localDir, index.manifests[0]!.digest));
    assert.equal(manifest.config.mediaType, BUILD_CACHE_CONFIG_MEDIA_TYPE);
    const config = readJson<ConfigJson>(blobPath(localDir, manifest.config.digest));
    assert.deepEqual(
      config.records.map((r: { key: string }) => r.key).sort(),
      entries.map((e) => e.key).sort(),
    );
    assert.deepEqual(Object.keys(config.records[0]!), ["key", "layer", "chainId", "created"]);
    const layerDigests = manifest.layers.map((l: { digest: string }) => l.digest).sort();
    assert.deepEqual(layerDigests, [...new Set(entries.map((e) => e.layer.digest))].sort());
    for (const d of layerDigests) {
      assert.equal(sha256(readFileSync(blobPath(localDir, d))), d, "each layer blob is in the layout");
    }
    // Exporting again gives the same manifest, still the only entry.
    await exportBuildCache(storeA, entries, { type: "local", dir: localDir }, ctx);
    const again = readJson<LayoutJson>(join(localDir, "index.json"));
    assert.deepEqual(again.manifests, index.manifests);
  });

  test("a fresh store importing the local cache builds the same image, every layer step a hit", async () => {
    const storeB = await openStore();
    const imported = await importBuildCache(storeB, { type: "local", dir: localDir }, ctx);
    assert.deepEqual(imported, { records: 3 });
    assert.deepEqual(await importBuildCache(storeB, { type: "local", dir: localDir }, ctx), { records: 0 });
    const builtB = await buildIn(storeB);
    assert.deepEqual(
      builtB.steps.map((s) => s.cached),
      [true, true, true],
      JSON.stringify(builtB.steps),
    );
    assert.equal(builtB.id, builtA.id);
    assert.deepEqual(builtB.layers, builtA.layers);
  });

  // Made here, not in a test: a directory made inside a test goes when that test ends.
  const gzipLayout = join(tempDir("wharf-cache-gzip-"), "cache");

  test("export to the registry and import in a fresh store: the same image ID, every layer step a hit", async () => {
    await exportBuildCache(storeA, entries, { type: "registry", ref: registryRef }, ctx);
    const storeC = await openStore();
    const imported = await importBuildCache(storeC, { type: "registry", ref: registryRef }, ctx);
    assert.deepEqual(imported, { records: 3 });
    const builtC = await buildIn(storeC);
    assert.deepEqual(
      builtC.steps.map((s) => s.cached),
      [true, true, true],
      JSON.stringify(builtC.steps),
    );
    assert.equal(builtC.id, builtA.id);
    // The registry got the plain layers gzip-compressed: the records there name the gzip blobs.
    const cEntries = listBuildCache(storeC.db);
    for (const e of cEntries) assert.equal(e.layer.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
    const aDiffIds = entries.map((e) => e.layer.diffId).sort();
    assert.deepEqual(cEntries.map((e) => e.layer.diffId).sort(), aDiffIds);
    // A second export reuses the gzip blobs the registry has (no new layers) and names the same manifest.
    const client = new RegistryClient(HOST);
    try {
      const first = await client.getManifest("cache/app", "buildcache");
      await exportBuildCache(storeA, entries, { type: "registry", ref: registryRef }, ctx);
      const second = await client.getManifest("cache/app", "buildcache");
      assert.equal(second.digest, first.digest);
    } finally {
      await client.close();
    }
    // Keep a layout of gzip records for the diff ID test below.
    await exportBuildCache(storeC, cEntries, { type: "local", dir: gzipLayout }, ctx);
  });

  test("a corrupt or hostile cache config is refused with BUILD_CACHE_INVALID", async () => {
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(localDir, (config) => {
          config.records[0]!.key = "not-a-key";
        }),
      },
      /records\[0\]\.key: must be sha256/,
    );
    await assertRefused(
      { type: "local", dir: tamperedLayout(localDir, () => Buffer.from('{"records": [')) },
      /config is not JSON/,
    );
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(localDir, (config, manifest) => {
          manifest.layers = manifest.layers.filter(
            (l: { digest: string }) => l.digest !== config.records[1]!.layer.digest,
          );
        }),
      },
      /records\[1\]\.layer\.digest: .* is not a layer of the cache manifest/,
    );
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(localDir, (config) => {
          config.records[0]!.layer.digest = "sha256:../../etc/passwd";
        }),
      },
      /records\[0\]\.layer\.digest: invalid digest/,
    );
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(localDir, (config) => {
          config.records[2]!.layer.diffId = `sha256:${"0".repeat(64)}`;
        }),
      },
      /records\[2\]\.layer\.diffId: an uncompressed layer's diff ID is its digest/,
    );
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(localDir, (config) => {
          config.records[1] = { ...config.records[0]! };
        }),
      },
      /records\[1\]\.key: .* appears twice/,
    );
  });

  test("a gzip layer whose diff ID is not the one claimed is refused after its ingest", async () => {
    await assertRefused(
      {
        type: "local",
        dir: tamperedLayout(gzipLayout, (config) => {
          config.records[0]!.layer.diffId = config.records[1]!.layer.diffId;
        }),
      },
      /has diff ID sha256:[0-9a-f]{64}, the cache says/,
    );
  });

  test("a corrupt cache on a registry is refused too", async () => {
    const dir = tamperedLayout(gzipLayout, (config) => {
      config.records[0]!.created = "yesterday";
    });
    const ref = parseNormalizedNamed(`${HOST}/cache/corrupt:latest`);
    await copyAndCommit(
      openOciLayoutSource(dir, "latest"),
      new RegistryDestination(new RegistryClient(HOST), ref, { ownsClient: true }),
    );
    await assertRefused(
      { type: "registry", ref: `${HOST}/cache/corrupt` },
      /records\[0\]\.created: not an RFC 3339 time/,
    );
  });

  test("a missing local cache or registry ref is a warning, and the build still works", async () => {
    const store = await openStore();
    const missingDir = join(tempDir("wharf-cache-none-"), "nothing-here");
    assert.deepEqual(await importBuildCache(store, { type: "local", dir: missingDir }, ctx), {
      records: 0,
      warning: `importing cache manifest from ${missingDir}: not found`,
    });
    const emptyDir = tempDir("wharf-cache-empty-");
    mkdirSync(join(emptyDir, "blobs"));
    assert.match(
      (await importBuildCache(store, { type: "local", dir: emptyDir }, ctx)).warning ?? "",
      /: not found$/,
    );
    assert.deepEqual(await importBuildCache(store, { type: "registry", ref: `${HOST}/cache/none` }, ctx), {
      records: 0,
      warning: `importing cache manifest from ${HOST}/cache/none:latest: not found`,
    });
    // An image is no cache: a warning too, nothing recorded.
    const image = await importBuildCache(store, { type: "registry", ref: `${HOST}/busybox:latest` }, ctx);
    assert.equal(image.records, 0);
    assert.match(image.warning ?? "", /not a wharf build cache/);
    assert.deepEqual(listBuildCache(store.db), []);
    const built = await buildIn(store);
    assert.deepEqual(
      built.steps.map((s) => s.cached),
      [false, false, false],
    );
  });
});

describe("parseCacheSpec", () => {
  test("docker's forms", () => {
    assert.deepEqual(parseCacheSpec("type=local,src=/tmp/c", "from"), { type: "local", dir: "/tmp/c" });
    assert.deepEqual(parseCacheSpec("type=local,dest=/tmp/c,mode=max", "to"), {
      type: "local",
      dir: "/tmp/c",
      mode: "max",
    });
    assert.deepEqual(parseCacheSpec("type=registry,ref=example.com/app:cache", "from"), {
      type: "registry",
      ref: "example.com/app:cache",
    });
    assert.deepEqual(parseCacheSpec("example.com/app:cache", "to"), {
      type: "registry",
      ref: "example.com/app:cache",
    });
    assert.deepEqual(parseCacheSpec('type=local,"src=/tmp/a,b"', "from"), { type: "local", dir: "/tmp/a,b" });
    assert.deepEqual(
      parseCacheSpec(
        "Type=registry,ref=example.com/app,mode=min,oci-mediatypes=true,image-manifest=true",
        "to",
      ),
      { type: "registry", ref: "example.com/app", mode: "min" },
    );
    // mode is an export attribute: ignored on an import, as BuildKit does.
    assert.deepEqual(parseCacheSpec("type=registry,ref=example.com/app,mode=max", "from"), {
      type: "registry",
      ref: "example.com/app",
    });
  });

  test("bad values are USAGE errors", () => {
    const usage = (spec: string, direction: "from" | "to", pattern: RegExp) =>
      assert.throws(
        () => parseCacheSpec(spec, direction),
        (err: unknown) => isWharfError(err, "USAGE") && pattern.test((err as Error).message),
        spec,
      );
    usage("", "from", /empty/);
    usage("type=local,dest=/tmp/c", "from", /unknown attribute "dest"|needs src=DIR/);
    usage("type=local,src=/tmp/c", "to", /unknown attribute "src"|needs dest=DIR/);
    usage("type=local", "to", /needs dest=DIR/);
    usage("type=registry", "from", /needs ref=NAME/);
    usage("type=gha,scope=x", "to", /cache type "gha" is not supported/);
    usage("ref=example.com/app", "from", /type required/);
    usage("type=registry,ref=Example.com/APP", "from", /invalid reference/);
    usage(`type=registry,ref=example.com/app@sha256:${"a".repeat(64)}`, "to", /tag, not a digest/);
    usage("type=registry,ref=example.com/app,mode=all", "to", /invalid mode "all"/);
    usage("type=registry,ref=example.com/app,colour=red", "to", /unknown attribute "colour"/);
    usage('type=local,"src=/tmp', "from", /unterminated quote/);
  });
});
