/** A manifest pushed with some layers compressed, and an index naming rewritten platform manifests. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import { digestBytes } from "../../src/oci/digest.ts";
import { DockerMediaType, OciMediaType } from "../../src/oci/mediatype.ts";
import { gzipDescriptor, gzipMediaType } from "../../src/transport/layer-gzip.ts";
import { rewriteManifest } from "../../src/transport/manifest-rewrite.ts";
import type { ManifestBytes } from "../../src/transport/types.ts";

const hex = (c: string) => `sha256:${c.repeat(64)}`;
const bytesOf = (value: unknown, mediaType: string): ManifestBytes => {
  const bytes = new TextEncoder().encode(JSON.stringify(value, null, 3));
  return { bytes, mediaType, digest: digestBytes(bytes) };
};

const manifest = bytesOf(
  {
    schemaVersion: 2,
    mediaType: DockerMediaType.Manifest,
    config: { mediaType: DockerMediaType.ImageConfig, digest: hex("c"), size: 9 },
    layers: [
      { mediaType: DockerMediaType.UncompressedLayer, digest: hex("1"), size: 100 },
      { mediaType: DockerMediaType.Layer, digest: hex("2"), size: 50 },
    ],
  },
  DockerMediaType.Manifest,
);

test("only plain distributable layer tars have a gzip form", () => {
  assert.equal(gzipMediaType(DockerMediaType.UncompressedLayer), DockerMediaType.Layer);
  assert.equal(gzipMediaType(OciMediaType.ImageLayer), OciMediaType.ImageLayerGzip);
  assert.equal(gzipMediaType(DockerMediaType.Layer), undefined);
  assert.equal(gzipMediaType(OciMediaType.ImageLayerZstd), undefined);
  assert.equal(gzipMediaType(OciMediaType.ImageLayerNonDistributable), undefined);
  assert.equal(gzipMediaType(DockerMediaType.ImageConfig), undefined);
});

test("a compressed layer's descriptor: gzip media type, its digest and size, no urls, annotations kept", () => {
  const layer: Descriptor = {
    mediaType: OciMediaType.ImageLayer,
    digest: hex("1"),
    size: 100,
    urls: ["http://example.com/x"],
    annotations: { a: "b" },
  };
  assert.deepEqual(gzipDescriptor(layer, { digest: hex("9"), size: 40 }), {
    mediaType: OciMediaType.ImageLayerGzip,
    digest: hex("9"),
    size: 40,
    annotations: { a: "b" },
  });
});

test("the layers replaced, everything else as it was; nothing replaced: the same bytes", () => {
  const gz = gzipDescriptor(
    { mediaType: DockerMediaType.UncompressedLayer, digest: hex("1"), size: 100 },
    {
      digest: hex("9"),
      size: 40,
    },
  );
  const out = rewriteManifest(manifest, new Map([[hex("1"), gz]]), new Map());
  assert.notEqual(out.digest, manifest.digest);
  assert.equal(out.digest, digestBytes(out.bytes));
  assert.equal(out.mediaType, DockerMediaType.Manifest);
  const value = JSON.parse(new TextDecoder().decode(out.bytes));
  assert.deepEqual(value.layers, [
    { mediaType: DockerMediaType.Layer, digest: hex("9"), size: 40 },
    { mediaType: DockerMediaType.Layer, digest: hex("2"), size: 50 },
  ]);
  assert.deepEqual(value.config, { mediaType: DockerMediaType.ImageConfig, digest: hex("c"), size: 9 });
  assert.deepEqual(Object.keys(value), ["schemaVersion", "mediaType", "config", "layers"]);
  assert.equal(rewriteManifest(manifest, new Map(), new Map()), manifest);
  assert.equal(rewriteManifest(manifest, new Map([[hex("7"), gz]]), new Map()), manifest);
});

test("an index names its rewritten platform manifests, platforms kept", () => {
  const platform = { architecture: "arm64", os: "linux", variant: "v8" };
  const index = bytesOf(
    {
      schemaVersion: 2,
      mediaType: OciMediaType.ImageIndex,
      manifests: [
        {
          mediaType: DockerMediaType.Manifest,
          digest: manifest.digest,
          size: manifest.bytes.byteLength,
          platform,
        },
        { mediaType: DockerMediaType.Manifest, digest: hex("8"), size: 5 },
      ],
    },
    OciMediaType.ImageIndex,
  );
  const stored = bytesOf({ rewritten: true }, DockerMediaType.Manifest);
  const out = rewriteManifest(index, new Map(), new Map([[manifest.digest, stored]]));
  const value = JSON.parse(new TextDecoder().decode(out.bytes));
  assert.deepEqual(value.manifests, [
    { mediaType: DockerMediaType.Manifest, digest: stored.digest, size: stored.bytes.byteLength, platform },
    { mediaType: DockerMediaType.Manifest, digest: hex("8"), size: 5 },
  ]);
});
