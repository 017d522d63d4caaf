/**
 * Deterministic content for store tests run in child processes: large blobs generated from a seed
 * (resumable at any offset), and small images whose layers are such blobs.
 */
import { createHash } from "node:crypto";
import { type Digest, Digester, digestBytes } from "../../src/oci/digest.ts";
import {
  bytesSource,
  type ImageData,
  type IngestSource,
  type Lease,
  type Store,
} from "../../src/store/index.ts";

const BLOCK = 1 << 20;

function block(seed: string, index: number): Buffer {
  const pattern = createHash("sha256").update(`${seed}/${index}`).digest();
  const out = Buffer.allocUnsafe(BLOCK);
  for (let pos = 0; pos < BLOCK; pos += pattern.length) pattern.copy(out, pos);
  out.writeUInt32BE(index, 0);
  return out;
}

export interface GeneratedBlob {
  digest: Digest;
  size: number;
  source: IngestSource;
}

/** `mib` MiB of content determined by `seed`. */
export function generatedBlob(seed: string, mib: number): GeneratedBlob {
  const digester = new Digester();
  for (let i = 0; i < mib; i += 1) digester.update(block(seed, i));
  const size = mib * BLOCK;
  const source: IngestSource = {
    async open(offset) {
      async function* gen() {
        for (let pos = offset; pos < size; ) {
          const index = Math.floor(pos / BLOCK);
          const chunk = block(seed, index).subarray(pos - index * BLOCK);
          pos += chunk.length;
          yield chunk;
        }
      }
      return { stream: gen(), offset };
    },
  };
  return { digest: digester.digest(), size, source };
}

const TAR = "application/vnd.oci.image.layer.v1.tar";

/** Ingests a config and a manifest for an image whose (uncompressed) layers are the given blobs. */
export async function syntheticImage(
  store: Store,
  lease: Lease,
  layers: { digest: Digest; size: number }[],
  label: string,
): Promise<ImageData> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Labels: { label } },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const configDigest = digestBytes(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: configDigest,
        size: config.length,
      },
      layers: layers.map((l) => ({ mediaType: TAR, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = digestBytes(manifest);
  await store.ingest({ digest: configDigest, size: config.length, source: bytesSource(config), lease });
  await store.ingest({ digest: manifestDigest, size: manifest.length, source: bytesSource(manifest), lease });
  return {
    id: configDigest,
    manifest: {
      digest: manifestDigest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      size: manifest.length,
    },
    platform: { os: "linux", architecture: "amd64" },
    layers: layers.map((l) => ({
      digest: l.digest,
      mediaType: TAR,
      size: l.size,
      diffId: l.digest,
      uncompressedSize: l.size,
    })),
  };
}

/** An image of one 1 MiB generated layer, its config labelled `label=LABEL`, tagged NAME:latest. */
export async function addTaggedImage(store: Store, name: string, label: string): Promise<ImageData> {
  const lease = store.lease();
  try {
    const blob = generatedBlob(`${name}-${label}`, 1);
    await store.ingest({ digest: blob.digest, size: blob.size, source: blob.source, lease });
    const image = await syntheticImage(store, lease, [blob], label);
    await store.update((w) => {
      w.putImage(image);
      w.setTag(`docker.io/library/${name}:latest`, image.manifest.digest, null);
    });
    return image;
  } finally {
    await lease.release();
  }
}

/** A source that yields the first `bytes` of `data` and then fails, as a dropped connection does. */
export function droppingSource(data: Buffer, bytes = 1000): IngestSource {
  return {
    async open() {
      async function* gen() {
        yield data.subarray(0, bytes);
        throw new Error("dropped");
      }
      return { stream: gen(), offset: 0 };
    },
  };
}
