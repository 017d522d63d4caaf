/**
 * An OCI image layout whose layers are gzipped tars of random (incompressible) bytes, so that a
 * test knows how much disk each layer takes and can run out of space in the middle of any of them.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function tarOf(name: string, content: Buffer): Promise<Buffer> {
  const p = pack();
  p.entry({ name, size: content.byteLength, mode: 0o644, mtime: new Date(0) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface RandomLayout {
  dir: string;
  /** The layout's one ref. */
  ref: string;
  /** Compressed size of each layer, in bytes. */
  layerSizes: number[];
}

export interface RandomLayoutOptions {
  /** The config's labels (its own config makes each image distinct). */
  labels?: Record<string, string>;
  /** Gzip the layers (default) or keep them plain tars. */
  gzip?: boolean;
}

/** Writes the layout under `dir` with one layer of each size in `kib` (KiB of random content). */
export async function writeRandomLayout(
  dir: string,
  kib: number[],
  options: RandomLayoutOptions = {},
): Promise<RandomLayout> {
  const gzip = options.gzip ?? true;
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.byteLength };
  };
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (const [i, size] of kib.entries()) {
    const tar = await tarOf(`layer${i}.bin`, randomBytes(size * 1024));
    diffIds.push(sha256(tar));
    layers.push(
      gzip
        ? { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(gzipSync(tar, { level: 1 })) }
        : { mediaType: "application/vnd.oci.image.layer.v1.tar", ...put(tar) },
    );
  }
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "2026-01-01T00:00:00Z",
        config: { Labels: options.labels ?? {}, Cmd: ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: diffIds },
        history: diffIds.map(() => ({ created: "2026-01-01T00:00:00Z", created_by: "random layer" })),
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers,
      }),
    ),
  );
  const ref = "latest";
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": ref },
        },
      ],
    }),
  );
  return { dir, ref, layerSizes: layers.map((l) => l.size) };
}
