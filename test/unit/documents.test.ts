import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrorCode, isWharfError } from "../../src/errors.ts";
import { digestBytes } from "../../src/oci/digest.ts";
import {
  parseDocument,
  parseImageConfig,
  serializeDocument,
  validateDocument,
} from "../../src/oci/document.ts";
import { layoutBlobPath, ociLayout, parseOciLayout } from "../../src/oci/layout.ts";
import {
  DockerMediaType,
  dockerToOciMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  layerCompression,
  normalizeMediaType,
  OciMediaType,
} from "../../src/oci/mediatype.ts";
import { loadCorpus } from "../corpus.ts";

const DIR = "mediatypes-and-manifests/";

interface IndexEntry {
  file: string;
  mediaType: string;
  valid: boolean;
  label: string;
}

interface Example {
  validatedAs: string;
  valid: boolean;
  /** Exact text; may deliberately not be JSON. */
  document: string;
  documentIsJSON: boolean;
  parsed: unknown;
  /** docker-compat cases: the Docker original, whose media types `document` has replaced by OCI ones. */
  originalDocument?: string;
  originalDigest?: string;
  compatMap?: Record<string, string>;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);
const hasCode = (code: ErrorCode) => (e: unknown) => isWharfError(e, code);
const invalidWith = (message: string) => (e: unknown) =>
  isWharfError(e, "MANIFEST_INVALID") && e.message === message;

/** The byte-level reader of each validated type; descriptors only ever arrive inside documents. */
const hasByteReader = (mediaType: string) => mediaType !== OciMediaType.Descriptor;

function readBytes(mediaType: string, bytes: Uint8Array): unknown {
  if (isManifestMediaType(mediaType) || isIndexMediaType(mediaType)) {
    const doc = parseDocument(bytes, mediaType);
    assert.equal(doc.mediaType, mediaType);
    assert.equal(doc.kind, isIndexMediaType(mediaType) ? "index" : "manifest");
    assert.equal(doc.bytes, bytes);
    assert.equal(doc.digest, digestBytes(bytes));
    return doc.value;
  }
  if (mediaType === OciMediaType.ImageConfig) return parseImageConfig(bytes).value;
  if (mediaType === OciMediaType.LayoutHeader) return parseOciLayout(bytes);
  throw new Error(`no byte reader for ${mediaType}`);
}

/** Replaces every Docker media type of a document's text by its OCI equivalent, as the compat test did. */
const toOciText = (text: string) =>
  text.replace(/"(application\/vnd\.docker\.[^"]+)"/g, (quoted, t: string) => {
    const oci = dockerToOciMediaType(t);
    return oci === undefined ? quoted : JSON.stringify(oci);
  });

function checkDockerOriginal(c: Example): void {
  const original = bytesOf(c.originalDocument!);
  assert.equal(toOciText(c.originalDocument!), c.document, "Docker->OCI mapping reproduces the OCI document");
  for (const [docker, oci] of Object.entries(c.compatMap ?? {}))
    assert.equal(dockerToOciMediaType(docker), oci);
  if (c.validatedAs === OciMediaType.ImageConfig) {
    assert.equal(parseImageConfig(original).digest, c.originalDigest);
    return;
  }
  const doc = parseDocument(original);
  assert.equal(doc.digest, c.originalDigest, "digest of the received bytes");
  assert.equal(doc.mediaType, (JSON.parse(c.originalDocument!) as { mediaType: string }).mediaType);
  assert.ok(doc.mediaType.startsWith("application/vnd.docker."), "kept as a Docker document");
  assert.equal(doc.value.mediaType, doc.mediaType);
}

describe("corpus/mediatypes-and-manifests", () => {
  for (const entry of loadCorpus<IndexEntry[]>(`${DIR}index.json`)) {
    test(`${entry.file}: ${entry.label}`, () => {
      const c = loadCorpus<Example>(DIR + entry.file);
      assert.equal(c.validatedAs, entry.mediaType);
      assert.equal(c.valid, entry.valid);
      const bytes = bytesOf(c.document);
      let value: unknown;
      try {
        value = JSON.parse(c.document);
      } catch {
        assert.equal(c.valid, false, "a document that is not JSON cannot be valid");
        if (hasByteReader(c.validatedAs)) {
          assert.throws(() => readBytes(c.validatedAs, bytes), hasCode("MANIFEST_INVALID"));
        }
        return;
      }
      if (!c.valid) {
        assert.throws(() => validateDocument(c.validatedAs, value), hasCode("MANIFEST_INVALID"));
        // parseDocument follows image-spec's prose, where a manifest's layers SHOULD (not MUST) be non-empty.
        const emptyLayers = (value as { layers?: unknown[] }).layers?.length === 0;
        if (hasByteReader(c.validatedAs) && !emptyLayers)
          assert.throws(() => readBytes(c.validatedAs, bytes), hasCode("MANIFEST_INVALID"));
        return;
      }
      assert.deepEqual(validateDocument(c.validatedAs, value), c.parsed);
      if (hasByteReader(c.validatedAs)) assert.deepEqual(readBytes(c.validatedAs, bytes), c.parsed);
      if (c.originalDocument !== undefined) checkDockerOriginal(c);
    });
  }
});

describe("corpus/mediatypes-and-manifests/mediatypes.json", () => {
  const file = loadCorpus<
    { mediaTypes: { name: string; value: string; family: string }[] } & Record<string, unknown>
  >(`${DIR}mediatypes.json`);
  for (const m of file.mediaTypes) {
    test(`${m.family} ${m.name}`, () => {
      const constants: Record<string, string> = m.family === "oci" ? OciMediaType : DockerMediaType;
      assert.equal(constants[m.name.replace(/^MediaType/, "")], m.value);
    });
  }
  test("Docker -> OCI map", () => {
    const key = Object.keys(file).find((k) => k.startsWith("dockerToOciCompatMap"));
    const map = file[key!] as Record<string, string>;
    assert.equal(Object.keys(map).length, 4);
    for (const [docker, oci] of Object.entries(map)) assert.equal(dockerToOciMediaType(docker), oci);
  });
});

// Hand-built documents for the focused tests below.
const blob = (mediaType: string, text: string) => ({
  mediaType,
  size: text.length,
  digest: digestBytes(text),
});
const ociManifest = {
  schemaVersion: 2 as const,
  mediaType: OciMediaType.ImageManifest,
  config: blob(OciMediaType.ImageConfig, "{}"),
  layers: [blob(OciMediaType.ImageLayerGzip, "a"), blob(OciMediaType.ImageLayerGzip, "b")],
};
const dockerManifest = {
  schemaVersion: 2 as const,
  mediaType: DockerMediaType.Manifest,
  config: blob(DockerMediaType.ImageConfig, "{}"),
  layers: [blob(DockerMediaType.Layer, "a")],
};
const dockerList = {
  schemaVersion: 2,
  mediaType: DockerMediaType.ManifestList,
  manifests: [
    {
      ...blob(DockerMediaType.Manifest, "m"),
      platform: { architecture: "arm64", os: "linux", variant: "v8", features: ["sse4"] },
    },
  ],
};
const json = (value: unknown, indent?: number) => bytesOf(JSON.stringify(value, null, indent));
const without = (obj: object, key: string) =>
  Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

describe("parseDocument", () => {
  test("digests the exact bytes received, never a re-serialisation", () => {
    const compact = json(ociManifest);
    const pretty = json(ociManifest, 3);
    const a = parseDocument(compact);
    const b = parseDocument(pretty);
    assert.deepEqual(a.value, b.value);
    assert.notEqual(a.digest, b.digest);
    assert.equal(a.digest, digestBytes(compact));
    assert.equal(b.digest, digestBytes(pretty));
    assert.equal(b.bytes, pretty);
  });

  test("refuses Docker schema 1 by schemaVersion or media type", () => {
    const message =
      "unsupported manifest format: Docker Image Manifest Version 2, Schema 1 is deprecated and not supported; " +
      "the registry or image must be upgraded";
    const schema1 = { schemaVersion: 1, name: "library/busybox", tag: "latest", fsLayers: [], history: [] };
    const isSchema1 = (e: unknown) => isWharfError(e, "MANIFEST_SCHEMA1") && e.message === message;
    assert.throws(() => parseDocument(json(schema1)), isSchema1);
    assert.throws(() => parseDocument(json(schema1), "application/json"), isSchema1);
    assert.throws(() => parseDocument(json(schema1), DockerMediaType.Schema1SignedManifest), isSchema1);
    assert.throws(
      () => parseDocument(json({ ...schema1, mediaType: DockerMediaType.Schema1Manifest })),
      isSchema1,
    );
    assert.throws(() => validateDocument(DockerMediaType.Schema1Manifest, schema1), isSchema1);
  });

  test("keeps Docker schema2 manifests and manifest lists as Docker documents", () => {
    const m = parseDocument(json(dockerManifest), DockerMediaType.Manifest);
    assert.equal(m.kind, "manifest");
    assert.equal(m.mediaType, DockerMediaType.Manifest);
    assert.deepEqual(m.value, dockerManifest);
    const l = parseDocument(json(dockerList));
    assert.equal(l.kind, "index");
    assert.equal(l.mediaType, DockerMediaType.ManifestList);
    assert.deepEqual(l.value, dockerList);
  });

  test("infers the type of a document without mediaType as containers/image does", () => {
    assert.equal(
      parseDocument(json(without(ociManifest, "mediaType"))).mediaType,
      OciMediaType.ImageManifest,
    );
    assert.equal(
      parseDocument(json(without(dockerManifest, "mediaType"))).mediaType,
      DockerMediaType.Manifest,
    );
    assert.equal(parseDocument(json(without(dockerList, "mediaType"))).mediaType, OciMediaType.ImageIndex);
    const both = { ...without(ociManifest, "mediaType"), manifests: [] };
    assert.throws(() => parseDocument(json(both)), hasCode("MANIFEST_INVALID"));
    assert.throws(() => parseDocument(json({ schemaVersion: 2 })), hasCode("MANIFEST_INVALID"));
  });

  test("the declared media type must agree with the document's own", () => {
    assert.throws(
      () => parseDocument(json(ociManifest), DockerMediaType.Manifest),
      invalidWith(
        `manifest invalid: media type mismatch: declared ${DockerMediaType.Manifest} but the document says ${OciMediaType.ImageManifest}`,
      ),
    );
    assert.throws(
      () => parseDocument(json(ociManifest), OciMediaType.ImageIndex),
      hasCode("MANIFEST_INVALID"),
    );
    // Without its own mediaType, a manifest declared as an index is refused by its keys.
    assert.throws(
      () => parseDocument(json(without(ociManifest, "mediaType")), OciMediaType.ImageIndex),
      invalidWith("manifest invalid: manifests: required (and 2 more)"),
    );
    // Content-Type parameters and case do not matter; uninformative types are ignored.
    const ok = parseDocument(json(ociManifest), "Application/VND.oci.image.manifest.v1+json; charset=utf-8");
    assert.equal(ok.mediaType, OciMediaType.ImageManifest);
    assert.equal(parseDocument(json(ociManifest), "text/plain").mediaType, OciMediaType.ImageManifest);
  });

  test("refuses media types that are not manifests or indexes", () => {
    const config = { ...ociManifest, mediaType: OciMediaType.ImageConfig };
    assert.throws(() => parseDocument(json(config)), hasCode("MANIFEST_UNSUPPORTED"));
    assert.throws(
      () => parseDocument(json(without(ociManifest, "mediaType")), "application/vnd.example+json"),
      hasCode("MANIFEST_UNSUPPORTED"),
    );
  });

  test("error messages name the offending field", () => {
    const badDigest = {
      ...ociManifest,
      layers: [ociManifest.layers[0], { ...ociManifest.layers[1], digest: "sha256:x" }],
    };
    assert.throws(
      () => parseDocument(json(badDigest)),
      invalidWith("manifest invalid: layers[1].digest: invalid checksum digest length"),
    );
    const badFormat = { ...ociManifest, config: { ...ociManifest.config, digest: "SHA256:abc" } };
    assert.throws(
      () => parseDocument(json(badFormat)),
      invalidWith("manifest invalid: config.digest: invalid checksum digest format"),
    );
    const badPlatform = structuredClone(dockerList) as { manifests: { platform: Record<string, unknown> }[] };
    badPlatform.manifests[0]!.platform["os.version"] = 10;
    assert.throws(
      () => parseDocument(json(badPlatform)),
      invalidWith('manifest invalid: manifests[0].platform["os.version"]: expected string, got integer'),
    );
    assert.throws(
      () => parseDocument(json({ ...ociManifest, schemaVersion: 3 })),
      invalidWith("manifest invalid: schemaVersion: must be 2"),
    );
    assert.throws(
      () => parseDocument(bytesOf("{")),
      (e) => isWharfError(e, "MANIFEST_INVALID") && /not valid JSON/.test(e.message),
    );
    assert.throws(
      () => parseDocument(bytesOf("[]")),
      invalidWith("manifest invalid: expected a JSON object, got array"),
    );
    assert.throws(
      () =>
        parseImageConfig(
          json({
            architecture: "amd64",
            os: "linux",
            rootfs: { type: "layers", diff_ids: [] },
            config: { Env: ["A"] },
          }),
        ),
      invalidWith("image config invalid: config.Env[0]: must be NAME=value"),
    );
  });

  test("accepts a manifest without layers, which validateDocument (image-spec's schema) refuses", () => {
    const empty = { ...ociManifest, layers: [] };
    assert.deepEqual(parseDocument(json(empty)).value, empty);
    assert.throws(
      () => validateDocument(OciMediaType.ImageManifest, empty),
      invalidWith("manifest invalid: layers: must have at least 1 entry"),
    );
  });

  test("embedded data must match the descriptor's size and digest", () => {
    const data = Buffer.from("{}").toString("base64");
    const good = { ...blob(OciMediaType.EmptyJSON, "{}"), data };
    assert.deepEqual(validateDocument(OciMediaType.Descriptor, good), good);
    assert.throws(
      () => validateDocument(OciMediaType.Descriptor, { ...good, size: 3 }),
      invalidWith("descriptor invalid: data: embedded data is 2 bytes but size is 3"),
    );
    assert.throws(
      () => validateDocument(OciMediaType.Descriptor, { ...good, digest: digestBytes("[]") }),
      invalidWith(`descriptor invalid: data: embedded data does not match ${digestBytes("[]")}`),
    );
  });

  test("validateDocument refuses media types it has no validator for", () => {
    assert.throws(() => validateDocument(OciMediaType.ImageLayerGzip, {}), hasCode("MEDIATYPE_UNKNOWN"));
  });
});

describe("media types", () => {
  test("classification", () => {
    assert.ok(
      isManifestMediaType(DockerMediaType.Manifest) && !isManifestMediaType(DockerMediaType.Schema1Manifest),
    );
    assert.ok(isIndexMediaType(OciMediaType.ImageIndex) && !isIndexMediaType(OciMediaType.ImageManifest));
    assert.ok(isLayerMediaType(DockerMediaType.ForeignLayer) && !isLayerMediaType(OciMediaType.EmptyJSON));
    assert.equal(layerCompression(OciMediaType.ImageLayerZstd), "zstd");
    assert.equal(layerCompression(DockerMediaType.Layer), "gzip");
    assert.equal(layerCompression(OciMediaType.ImageLayerNonDistributable), "none");
    assert.throws(() => layerCompression("application/vnd.example+type"), hasCode("MEDIATYPE_UNKNOWN"));
    assert.equal(dockerToOciMediaType(DockerMediaType.PluginConfig), undefined);
    assert.equal(normalizeMediaType(" Text/Plain ; charset=utf-8"), "text/plain");
  });
});

describe("serializeDocument and the OCI layout", () => {
  test("serializes compactly, keys in the order given, and reads back to the same digest", () => {
    const bytes = serializeDocument(ociManifest);
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(ociManifest));
    assert.ok(new TextDecoder().decode(bytes).startsWith('{"schemaVersion":2,"mediaType":'));
    assert.equal(parseDocument(bytes).digest, digestBytes(bytes));
  });

  test("oci-layout file and blob paths", () => {
    assert.deepEqual(parseOciLayout(serializeDocument(ociLayout())), { imageLayoutVersion: "1.0.0" });
    assert.throws(
      () => parseOciLayout(bytesOf('{"imageLayoutVersion":"2.0.0"}')),
      invalidWith('oci-layout invalid: imageLayoutVersion: must be "1.0.0"'),
    );
    const d = digestBytes("x");
    assert.equal(layoutBlobPath(d), `blobs/sha256/${d.slice(7)}`);
    assert.throws(() => layoutBlobPath("sha256:../../etc"), hasCode("DIGEST_INVALID_LENGTH"));
  });
});
