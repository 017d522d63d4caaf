/**
 * `wharf sbom` end to end: an image built with `wharf build` on the busybox fixture with a Debian 12
 * os-release, a dpkg status (three installed packages, one removed) and npm packages (one deleted
 * again by a later RUN), written as CycloneDX 1.6 and SPDX 2.3 JSON from the store, an OCI layout
 * and a docker-archive, each document checked against the official schemas in ../shared/schemas
 * and against what the image holds (its manifest digest and layer diff IDs read from the layout).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { contextDir, ok, wharfIn } from "../helpers/build-cli.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;
const TIMEOUT = { timeout: 120_000 };

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents, their shape checked by the schemas first
type Json = Record<string, any>;

const validateCyclonedx = cyclonedxValidator();
const validateSpdx = spdxValidator();

const DPKG_STATUS = `Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: tar
Status: install ok installed
Architecture: amd64
Version: 1.34+dfsg-1.2

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u3

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
`;

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
`;

const pkg = (name: string, version: string) => JSON.stringify({ name, version, license: "MIT" });

const DOCKERFILE = `FROM busybox:latest
COPY rootfs/ /
COPY app/ /app/
RUN rm -rf /app/node_modules/moment
`;

/** What the image holds: the installed dpkg packages and the npm packages left after the RUN. */
const EXPECTED = ["base-files", "libc6", "lodash", "semver", "tar"];

// Made here, not in a hook: tempDir registers their removal with the test runner.
const store = tempDir("wharf-sbom-store-");
const out = tempDir("wharf-sbom-out-");
const layout = join(out, "layout");
const ctx = contextDir({
  Dockerfile: DOCKERFILE,
  "rootfs/etc/os-release": OS_RELEASE,
  "rootfs/var/lib/dpkg/status": DPKG_STATUS,
  "app/node_modules/lodash/package.json": pkg("lodash", "4.17.20"),
  "app/node_modules/semver/package.json": pkg("semver", "7.5.1"),
  "app/node_modules/moment/package.json": pkg("moment", "2.29.1"),
  "app/package.json": JSON.stringify({ name: "app", private: true }),
});

/** The image as the layout holds it: its manifest digest, its layers' diff IDs, busybox's layer count. */
let manifestDigest: string;
let diffIds: string[];
let baseLayers: number;

before(async () => {
  await ok(wharfIn(store, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
  await ok(wharfIn(store, ["build", "-q", "-t", "sbom-test:1", ctx]));
  await ok(wharfIn(store, ["copy", "-q", "wharf:sbom-test:1", `oci:${layout}:v1`]));
  const blob = (dir: string, digest: string) =>
    JSON.parse(readFileSync(join(dir, "blobs", "sha256", digest.slice("sha256:".length)), "utf8"));
  const top = (dir: string) => JSON.parse(readFileSync(join(dir, "index.json"), "utf8")).manifests[0].digest;
  manifestDigest = top(layout);
  diffIds = blob(layout, blob(layout, manifestDigest).config.digest).rootfs.diff_ids;
  baseLayers = blob(BUSYBOX, top(BUSYBOX)).layers.length;
});

const sorted = (names: string[]) => [...names].sort();
const property = (c: Json, name: string) => c.properties?.find((p: Json) => p.name === name)?.value;

describe("wharf sbom IMAGE", () => {
  test(
    "CycloneDX by default: schema-valid, the image's packages and OS, the layers they came from",
    TIMEOUT,
    async () => {
      const r = await ok(wharfIn(store, ["sbom", "sbom-test:1"]));
      const bom: Json = JSON.parse(r.stdout);
      assert.ok(validateCyclonedx(bom), JSON.stringify(validateCyclonedx.errors, null, 2));
      assert.equal(bom.specVersion, "1.6");
      const libraries = bom.components.filter((c: Json) => c.type === "library");
      assert.deepEqual(sorted(libraries.map((c: Json) => c.name)), EXPECTED, "moment was deleted by the RUN");
      assert.deepEqual(
        bom.components
          .filter((c: Json) => c.type === "operating-system")
          .map((c: Json) => [c.name, c.version]),
        [["debian", "12"]],
      );
      assert.equal(bom.metadata.component.type, "container");
      assert.equal(bom.metadata.component.name, "sbom-test:1");
      assert.equal(bom.metadata.component.version, manifestDigest);
      assert.equal(bom.metadata.component.purl, `pkg:oci/sbom-test@${manifestDigest}?arch=amd64&tag=1`);
      assert.equal(bom.metadata.tools.components[0].name, "wharf");
      // busybox's layers, then COPY rootfs/ (the dpkg status), COPY app/ (npm's) and the RUN.
      assert.equal(diffIds.length, baseLayers + 3);
      const [tar] = libraries.filter((c: Json) => c.name === "tar");
      assert.equal(property(tar, "syft:location:0:layerID"), diffIds[baseLayers]);
      assert.equal(property(tar, "syft:location:0:path"), "/var/lib/dpkg/status");
      assert.match(tar.purl, /^pkg:deb\/debian\/tar@1\.34%2Bdfsg-1\.2\?arch=amd64&distro=debian-12$/);
      const [lodash] = libraries.filter((c: Json) => c.name === "lodash");
      assert.equal(property(lodash, "syft:location:0:layerID"), diffIds[baseLayers + 1]);
      assert.deepEqual(lodash.licenses, [{ license: { id: "MIT" } }]);
      assert.equal(bom.vulnerabilities, undefined, "no database is read");
    },
  );

  test(
    "--format spdx-json -o FILE: the file, nothing on stdout; schema-valid, the image CONTAINS all",
    TIMEOUT,
    async () => {
      const file = join(out, "image.spdx.json");
      const r = await ok(wharfIn(store, ["sbom", "--format", "spdx-json", "-o", file, "sbom-test:1"]));
      assert.equal(r.stdout, "");
      const doc: Json = JSON.parse(readFileSync(file, "utf8"));
      assert.ok(validateSpdx(doc), JSON.stringify(validateSpdx.errors, null, 2));
      assert.equal(doc.spdxVersion, "SPDX-2.3");
      const libraries = doc.packages.filter((p: Json) => p.primaryPackagePurpose === "LIBRARY");
      assert.deepEqual(sorted(libraries.map((p: Json) => p.name)), EXPECTED);
      assert.equal(doc.packages.length, EXPECTED.length + 2, "and the image and the OS");
      const [root] = doc.packages;
      assert.equal(root.primaryPackagePurpose, "CONTAINER");
      assert.equal(root.versionInfo, manifestDigest);
      const contained = doc.relationships.filter(
        (r: Json) => r.relationshipType === "CONTAINS" && r.spdxElementId === root.SPDXID,
      );
      assert.equal(contained.length, doc.packages.length - 1);
    },
  );

  test(
    "an OCI layout and a docker-archive give the same packages; the layer cache is wharf scan's",
    TIMEOUT,
    async () => {
      const archive = join(out, "image.tar");
      await ok(wharfIn(store, ["save", "-o", archive, "sbom-test:1"]));
      const purls = async (name: string) => {
        const bom = JSON.parse((await ok(wharfIn(store, ["sbom", name]))).stdout);
        return {
          purls: sorted(bom.components.map((c: Json) => c.purl ?? c.name)),
          version: bom.metadata.component.version,
        };
      };
      const fromStore = await purls("sbom-test:1");
      // The store and the layout hold the same layer blobs: one cache entry each, under scan/layers.
      assert.deepEqual(await purls(`oci:${layout}:v1`), fromStore);
      const cached = readdirSync(join(store, "scan", "layers"));
      assert.equal(cached.length, diffIds.length, cached.join(", "));
      assert.deepEqual(await purls(`docker-archive:${archive}`), fromStore);
    },
  );

  test("a bad --format is a usage error (exit 125) that says what is accepted", TIMEOUT, async () => {
    const r = await wharfIn(store, ["sbom", "--format", "xml", "sbom-test:1"]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.split("\n")[0], 'unknown format "xml": cyclonedx-json or spdx-json');
    assert.equal(r.stdout, "");
  });
});
