/**
 * `wharf sbom --attach` end to end: an image built with `wharf build` on the busybox fixture (a
 * Debian 12 os-release and a dpkg status of two packages) pushed to a real `wharf serve` and to
 * Debian's docker-registry 2.8, its SBOM attached as an OCI referrer. On wharf serve the referrers
 * API lists it (and filters by artifactType); on distribution 2.8, which has no referrers API, the
 * referrers tag `sha256-<hex>` holds an index of them, kept across attaches. skopeo reads the
 * referrer manifest as any client would.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parseDigest } from "../../src/oci/digest.ts";
import { validateDocument } from "../../src/oci/document.ts";
import { referrerManifest, referrersTag, withReferrer } from "../../src/scan/sbom/attach.ts";
import { contextDir, ok, wharfIn } from "../helpers/build-cli.ts";
import { BUSYBOX_MULTI_LAYOUT, startDistribution } from "../helpers/distribution.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;
const TIMEOUT = { timeout: 120_000 };
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const EMPTY = "application/vnd.oci.empty.v1+json";
const EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const CYCLONEDX = "application/vnd.cyclonedx+json";
const SPDX = "application/spdx+json";
const ACCEPT = [OCI_MANIFEST, OCI_INDEX, "application/vnd.docker.distribution.manifest.v2+json"].join(", ");

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents, their fields asserted one by one
type Json = Record<string, any>;
const sha256 = (data: Uint8Array | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

const DPKG_STATUS = `Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: tar
Status: install ok installed
Architecture: amd64
Version: 1.34+dfsg-1.2
`;

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

// Made here, not in a hook: tempDir registers their removal with the test runner.
const store = tempDir("wharf-sbom-attach-store-");
const out = tempDir("wharf-sbom-attach-out-");
const ctx = contextDir({
  Dockerfile: "FROM busybox:latest\nCOPY rootfs/ /\n",
  "rootfs/etc/os-release": OS_RELEASE,
  "rootfs/var/lib/dpkg/status": DPKG_STATUS,
});

// Started once for the file, at top level: `after` hooks stop them when the file ends.
const served = await startWharfServe();
const distribution = await startDistribution();

before(async () => {
  await ok(wharfIn(store, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
  await ok(wharfIn(store, ["build", "-q", "-t", "sbom-attach:1", ctx]));
  for (const host of [served.host, distribution.host]) {
    await ok(wharfIn(store, ["tag", "sbom-attach:1", `${host}/app:1`]));
    await ok(wharfIn(store, ["push", "-q", `${host}/app:1`]));
  }
  await tool("skopeo", [
    "copy",
    "--quiet",
    "--all",
    "--dest-tls-verify=false",
    `oci:${BUSYBOX_MULTI_LAYOUT}:latest`,
    `docker://${served.host}/multi:latest`,
  ]);
});

/** GET a registry document; its parsed JSON, digest and the response. */
async function get(host: string, path: string): Promise<{ res: Response; json: Json; digest: string }> {
  const res = await fetch(`http://${host}/v2/${path}`, { headers: { accept: ACCEPT } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${Buffer.from(bytes).toString()}`);
  return { res, json: JSON.parse(Buffer.from(bytes).toString()), digest: sha256(bytes) };
}

/** The `Attached REFERRER to HOST/REPO@SUBJECT[ (referrers tag TAG)]` line, parsed. */
function attached(
  stdout: string,
  host: string,
  repo: string,
): { referrer: string; subject: string; tag?: string } {
  const m = new RegExp(
    `^Attached (sha256:[0-9a-f]{64}) to ${host.replaceAll(".", "\\.")}/${repo}@(sha256:[0-9a-f]{64})(?: \\(referrers tag (\\S+)\\))?\\n$`,
  ).exec(stdout);
  assert.ok(m, `unexpected output: ${JSON.stringify(stdout)}`);
  return { referrer: m[1]!, subject: m[2]!, ...(m[3] === undefined ? {} : { tag: m[3] }) };
}

/** The referrer manifest's checks: an artifact of `artifactType` on the empty config, `subject` its subject. */
async function checkReferrer(
  host: string,
  repo: string,
  digest: string,
  artifactType: string,
  subject: Json,
) {
  const { res, json: manifest } = await get(host, `${repo}/manifests/${digest}`);
  assert.equal(res.headers.get("content-type"), OCI_MANIFEST);
  assert.equal(manifest.mediaType, OCI_MANIFEST);
  assert.equal(manifest.artifactType, artifactType);
  assert.deepEqual(manifest.config, { mediaType: EMPTY, digest: EMPTY_DIGEST, size: 2 });
  assert.deepEqual(manifest.subject, subject);
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, artifactType);
  assert.match(manifest.annotations["org.opencontainers.image.created"], /^\d{4}-\d\d-\d\dT/);
  const empty = await fetch(`http://${host}/v2/${repo}/blobs/${EMPTY_DIGEST}`);
  assert.equal(await empty.text(), "{}");
  const blob = await fetch(`http://${host}/v2/${repo}/blobs/${manifest.layers[0].digest}`);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  assert.equal(sha256(bytes), manifest.layers[0].digest);
  assert.equal(bytes.byteLength, manifest.layers[0].size);
  return { manifest, sbom: JSON.parse(Buffer.from(bytes).toString()) as Json, bytes };
}

/** The subject descriptor of `repo:tag` as the registry holds it. */
async function subjectOf(host: string, repo: string, tag: string): Promise<Json> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { headers: { accept: ACCEPT } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { mediaType: res.headers.get("content-type"), digest: sha256(bytes), size: bytes.byteLength };
}

const libraries = (bom: Json) =>
  bom.components.filter((c: Json) => c.type === "library").map((c: Json) => c.name);

describe("wharf sbom --attach on wharf serve (referrers API)", () => {
  test(
    "a local name: the CycloneDX SBOM refers to the manifest the push made, listed and filtered by the API",
    TIMEOUT,
    async () => {
      const r = await ok(wharfIn(store, ["sbom", "--attach", `${served.host}/app:1`]));
      const line = attached(r.stdout, served.host, "app");
      const subject = await subjectOf(served.host, "app", "1");
      assert.equal(line.subject, subject.digest);
      assert.equal(line.tag, undefined, "no referrers tag where the registry has the referrers API");
      const { manifest, sbom } = await checkReferrer(served.host, "app", line.referrer, CYCLONEDX, subject);
      assert.equal(manifest.layers[0].annotations["org.opencontainers.image.title"], "sbom.cdx.json");
      assert.equal(manifest.annotations["dev.wharf.sbom.format"], "cyclonedx-json");
      assert.equal(sbom.bomFormat, "CycloneDX");
      assert.deepEqual(libraries(sbom).sort(), ["base-files", "tar"]);
      // wharf build stores its layers uncompressed and the push gzipped them: the registry's manifest
      // is another than the one scanned, found as the tag's manifest with the image's config.
      const local = await ok(wharfIn(store, ["inspect", "--format", "{{.Id}}", `${served.host}/app:1`]));
      assert.notEqual(sbom.metadata.component.version, subject.digest);
      assert.equal(
        (await get(served.host, `app/manifests/${subject.digest}`)).json.config.digest,
        local.stdout.trim(),
      );

      const { res, json: list } = await get(served.host, `app/referrers/${subject.digest}`);
      assert.equal(res.headers.get("content-type"), OCI_INDEX);
      assert.deepEqual(list.manifests, [
        {
          mediaType: OCI_MANIFEST,
          digest: line.referrer,
          size: list.manifests[0].size,
          artifactType: CYCLONEDX,
          annotations: manifest.annotations,
        },
      ]);
      const cdx = await get(
        served.host,
        `app/referrers/${subject.digest}?artifactType=${encodeURIComponent(CYCLONEDX)}`,
      );
      assert.equal(cdx.res.headers.get("oci-filters-applied"), "artifactType");
      assert.deepEqual(
        cdx.json.manifests.map((m: Json) => m.digest),
        [line.referrer],
      );
      const spdx = await get(
        served.host,
        `app/referrers/${subject.digest}?artifactType=${encodeURIComponent(SPDX)}`,
      );
      assert.deepEqual(spdx.json.manifests, []);
      const tags = await get(served.host, "app/tags/list");
      assert.deepEqual(tags.json.tags, ["1"], "pushed by digest: no tag moved or added");
    },
  );

  test(
    "docker://, --format spdx-json -o FILE: the file is the attached blob; a second referrer is listed",
    TIMEOUT,
    async () => {
      const file = join(out, "app.spdx.json");
      const args = ["sbom", "--attach", "--format", "spdx-json", "-o", file, `docker://${served.host}/app:1`];
      const line = attached((await ok(wharfIn(store, args))).stdout, served.host, "app");
      const subject = await subjectOf(served.host, "app", "1");
      assert.equal(line.subject, subject.digest);
      const { manifest, sbom, bytes } = await checkReferrer(served.host, "app", line.referrer, SPDX, subject);
      const [image] = sbom.packages.filter((p: Json) => p.primaryPackagePurpose === "CONTAINER");
      assert.equal(image.versionInfo, subject.digest, "the registry's manifest was the one scanned");
      assert.equal(manifest.layers[0].annotations["org.opencontainers.image.title"], "sbom.spdx.json");
      assert.equal(manifest.annotations["dev.wharf.sbom.format"], "spdx-json");
      assert.deepEqual(readFileSync(file), Buffer.from(bytes), "-o gets exactly what was attached");
      assert.equal(sbom.spdxVersion, "SPDX-2.3");
      const list = await get(served.host, `app/referrers/${subject.digest}`);
      assert.deepEqual(list.json.manifests.map((m: Json) => m.artifactType).sort(), [SPDX, CYCLONEDX].sort());
      const spdx = await get(
        served.host,
        `app/referrers/${subject.digest}?artifactType=${encodeURIComponent(SPDX)}`,
      );
      assert.deepEqual(
        spdx.json.manifests.map((m: Json) => m.digest),
        [line.referrer],
      );
    },
  );

  test(
    "a multi-platform image: the subject is the scanned platform's manifest, not the index",
    TIMEOUT,
    async () => {
      const r = await ok(
        wharfIn(store, [
          "sbom",
          "--attach",
          "--platform",
          "linux/arm64",
          `docker://${served.host}/multi:latest`,
        ]),
      );
      const line = attached(r.stdout, served.host, "multi");
      const index = await get(served.host, "multi/manifests/latest");
      const arm64 = index.json.manifests.find((m: Json) => m.platform.architecture === "arm64");
      assert.notEqual(line.subject, index.digest);
      assert.equal(line.subject, arm64.digest);
      await checkReferrer(served.host, "multi", line.referrer, CYCLONEDX, {
        mediaType: arm64.mediaType,
        digest: arm64.digest,
        size: arm64.size,
      });
      const list = await get(served.host, `multi/referrers/${arm64.digest}`);
      assert.deepEqual(
        list.json.manifests.map((m: Json) => m.digest),
        [line.referrer],
      );
    },
  );

  test("an image the registry does not hold: exit 1, says to push it first", TIMEOUT, async () => {
    await ok(wharfIn(store, ["tag", "busybox:latest", `${served.host}/app:busybox`]));
    const r = await wharfIn(store, ["sbom", "--attach", `${served.host}/app:busybox`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^${served.host}/app:busybox does not hold the image sha256:[0-9a-f]{64} .*push it there first\\n`,
      ),
    );
    assert.equal(r.stdout, "");
  });

  test("--attach to what is not a registry image is a usage error (exit 125)", TIMEOUT, async () => {
    const r = await wharfIn(store, ["sbom", "--attach", `oci:${BUSYBOX}:latest`]);
    assert.equal(r.code, 125);
    assert.equal(
      r.stderr.split("\n")[0],
      "--attach needs a registry image: docker://HOST/REPO:TAG, or a local HOST/REPO:TAG pushed there",
    );
    assert.equal(r.stdout, "");
  });
});

describe("wharf sbom --attach on distribution 2.8 (the referrers tag schema)", () => {
  test(
    "the referrers tag holds an index of the referrer; a second attach adds to it; skopeo reads the referrer",
    TIMEOUT,
    async () => {
      const host = distribution.host;
      const subject = await subjectOf(host, "app", "1");
      const tag = `sha256-${subject.digest.slice("sha256:".length)}`;
      const api = await fetch(`http://${host}/v2/app/referrers/${subject.digest}`);
      await api.body?.cancel();
      assert.equal(api.status, 404, "distribution 2.8 has no referrers API");

      const first = attached(
        (await ok(wharfIn(store, ["sbom", "--attach", `${host}/app:1`]))).stdout,
        host,
        "app",
      );
      assert.equal(first.subject, subject.digest);
      assert.equal(first.tag, tag);
      const { manifest } = await checkReferrer(host, "app", first.referrer, CYCLONEDX, subject);
      const index = await get(host, `app/manifests/${tag}`);
      assert.equal(index.json.mediaType, OCI_INDEX);
      assert.deepEqual(index.json.manifests, [
        {
          mediaType: OCI_MANIFEST,
          digest: first.referrer,
          size: index.json.manifests[0].size,
          artifactType: CYCLONEDX,
          annotations: manifest.annotations,
        },
      ]);

      const spdxArgs = ["sbom", "--attach", "--format", "spdx-json", `docker://${host}/app:1`];
      const second = attached((await ok(wharfIn(store, spdxArgs))).stdout, host, "app");
      assert.equal(second.tag, tag);
      await checkReferrer(host, "app", second.referrer, SPDX, subject);
      const both = await get(host, `app/manifests/${tag}`);
      assert.deepEqual(
        both.json.manifests.map((m: Json) => [m.digest, m.artifactType]),
        [
          [first.referrer, CYCLONEDX],
          [second.referrer, SPDX],
        ],
      );
      const tags = await get(host, "app/tags/list");
      assert.deepEqual(tags.json.tags.sort(), ["1", tag].sort(), "the image's own tag did not move");
      assert.equal((await subjectOf(host, "app", "1")).digest, subject.digest);

      const raw = await tool("skopeo", [
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${host}/app@${second.referrer}`,
      ]);
      const read: Json = JSON.parse(raw.stdout);
      assert.equal(sha256(raw.stdout), second.referrer);
      assert.equal(read.artifactType, SPDX);
      assert.deepEqual(read.subject, subject);
    },
  );
});

describe("the referrer documents", () => {
  const subject = { mediaType: OCI_MANIFEST, digest: sha256("image"), size: 5 };
  const artifact = {
    bytes: Buffer.from('{"bomFormat":"CycloneDX"}'),
    mediaType: CYCLONEDX,
    title: "sbom.cdx.json",
  };

  test("the artifact manifest is a valid OCI 1.1 manifest named by its bytes' digest", () => {
    const made = referrerManifest({ ...artifact, format: "cyclonedx-json" }, subject, new Date(0));
    const manifest = validateDocument(OCI_MANIFEST, JSON.parse(Buffer.from(made.bytes).toString()));
    assert.equal(made.descriptor.digest, sha256(made.bytes));
    assert.equal(made.descriptor.size, made.bytes.byteLength);
    assert.equal(made.descriptor.artifactType, CYCLONEDX);
    assert.deepEqual(made.descriptor.annotations, manifest.annotations);
    assert.equal(manifest.annotations?.["org.opencontainers.image.created"], "1970-01-01T00:00:00.000Z");
    assert.deepEqual(manifest.subject, subject);
    assert.equal(manifest.layers[0]?.digest, sha256(artifact.bytes));
  });

  test("the referrers tag: <alg>-<hex>, the hex cut to 64 characters (a sha512 subject)", () => {
    assert.equal(referrersTag(parseDigest(subject.digest)), `sha256-${subject.digest.slice(7)}`);
    const sha512 = parseDigest(`sha512:${"ab".repeat(64)}`);
    assert.equal(referrersTag(sha512), `sha512-${"ab".repeat(32)}`);
  });

  test("an index gains a referrer once; what it listed and its other fields stay", () => {
    const one = { mediaType: OCI_MANIFEST, digest: sha256("one"), size: 1, artifactType: SPDX };
    const two = { mediaType: OCI_MANIFEST, digest: sha256("two"), size: 2, artifactType: CYCLONEDX };
    const started = withReferrer(undefined, one);
    assert.deepEqual(started, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [one] });
    const annotated = { ...started!, annotations: { kept: "yes" } };
    assert.deepEqual(withReferrer(annotated, two), { ...annotated, manifests: [one, two] });
    assert.equal(withReferrer(annotated, { ...one }), undefined, "already listed: nothing to push");
  });
});
