/**
 * The SBOM writers (src/scan/sbom) on a real inventory: two layer tars made here from this
 * machine's dpkg status (tar set back to bookworm's 1.34+dfsg-1.2, which the OSV fixtures' tar
 * records affect), its Python metadata (licenses as SPDX IDs, an SPDX expression and free text) and
 * the repository's npm package.json files (semver set back to 7.5.1, a scoped package, one package
 * at two paths), catalogued by the image walker and matched against the OSV fixture records in a
 * real database. Both documents are validated against the official schemas in ../shared/schemas
 * with ajv, then checked against the inventory: counts, package URLs, layers and paths, licenses,
 * the image's identity, the vulnerabilities, and that two runs differ only in time and UUIDs.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import type { Digest } from "../../src/oci/digest.ts";
import { catalogImage, type ImageInventory, type LayerInput } from "../../src/scan/catalog/image-catalog.ts";
import { defaultCatalogers } from "../../src/scan/catalog/index.ts";
import { VulnerabilityDatabase } from "../../src/scan/db/database.ts";
import type { ScannedImage } from "../../src/scan/image-layers.ts";
import type { Finding } from "../../src/scan/match.ts";
import { cyclonedxJson } from "../../src/scan/sbom/cyclonedx.ts";
import { imageIdentity } from "../../src/scan/sbom/image-identity.ts";
import { declaredExpression, spdxExpression } from "../../src/scan/sbom/license-expression.ts";
import type { SbomInput } from "../../src/scan/sbom/sbom-input.ts";
import { spdxJson } from "../../src/scan/sbom/spdx.ts";
import { findVulnerabilities } from "../../src/scan/scan-image.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { tempDir } from "../helpers/tmp.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const RECORDS = fileURLToPath(new URL("../../../shared/fixtures/osv/records/", import.meta.url));
const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const TAR = "application/vnd.oci.image.layer.v1.tar";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents, their shape checked by the schemas first
type Json = Record<string, any>;
const sha256 = (data: Buffer | string) =>
  `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;

const validateCyclonedx = cyclonedxValidator();
const validateSpdx = spdxValidator();

function assertValid(validate: ReturnType<typeof cyclonedxValidator>, document: unknown): void {
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
}

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime: new Date(1_700_000_000_000) }, content);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const STATUS = readFileSync("/var/lib/dpkg/status", "utf8").replace(
  /^(Package: tar\n(?:.+\n)*?)Version: .*$/m,
  "$1Version: 1.34+dfsg-1.2",
);
const python = (dist: string) => readFileSync(`/usr/lib/python3/dist-packages/${dist}/METADATA`);
const npmManifest = (name: string) => readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8");
const SEMVER_751 = JSON.stringify({ ...JSON.parse(npmManifest("semver")), version: "7.5.1" });
const DIST = "usr/lib/python3/dist-packages";
// Made here, not in a hook: tempDir registers its removal with the test runner.
const DB_DIR = tempDir("wharf-sbom-db-");

let inventory: ImageInventory;
let image: ScannedImage;
let findings: Finding[];

/** Two layers (gzip, then plain), and the image a scan would have read them from. */
before(async () => {
  const tars = [
    await tarOf({
      "usr/lib/os-release": readFileSync("/usr/lib/os-release"),
      "var/lib/dpkg/status": STATUS,
      [`${DIST}/PyYAML-6.0.dist-info/METADATA`]: python("PyYAML-6.0.dist-info"),
      [`${DIST}/blinker-1.5.dist-info/METADATA`]: python("blinker-1.5.dist-info"),
      [`${DIST}/cryptography-38.0.4.dist-info/METADATA`]: python("cryptography-38.0.4.dist-info"),
      [`${DIST}/distro-1.8.0.dist-info/METADATA`]: python("distro-1.8.0.dist-info"),
      "app/node_modules/semver/package.json": SEMVER_751,
      "app/node_modules/@biomejs/biome/package.json": npmManifest("@biomejs/biome"),
    }),
    await tarOf({
      "srv/node_modules/jose/package.json": npmManifest("jose"),
      "srv2/node_modules/jose/package.json": npmManifest("jose"),
    }),
  ];
  const blobs = [gzipSync(tars[0]!), tars[1]!];
  const layers = blobs.map((blob, index) => ({
    index,
    digest: sha256(blob),
    mediaType: index === 0 ? GZIP : TAR,
    size: blob.length,
    diffId: sha256(tars[index]!),
    createdBy: `COPY layer${index} / # buildkit`,
  }));
  const inputs: LayerInput[] = layers.map((l, i) => ({ ...l, open: async () => Readable.from([blobs[i]!]) }));
  inventory = await catalogImage(inputs, defaultCatalogers());
  const manifest = JSON.stringify({ schemaVersion: 2, layers: layers.map((l) => l.digest) });
  image = {
    manifestDigest: sha256(manifest),
    imageId: sha256(`config of ${manifest}`),
    os: "linux",
    architecture: "amd64",
    layers,
    openLayer: async (layer) => Readable.from([blobs[layer.index]!]),
  };
  const db = VulnerabilityDatabase.open(join(DB_DIR, "osv.db"), { create: true });
  try {
    await db.import(RECORDS);
    findings = findVulnerabilities(inventory, db);
  } finally {
    db.close();
  }
});

const input = (extra: Partial<SbomInput> = {}): SbomInput => ({
  artifactName: "example.com/team/app:1.0",
  image,
  inventory,
  createdAt: new Date("2025-01-02T03:04:05.678Z"),
  toolVersion: "9.8.7",
  ...extra,
});

const byName = (items: Json[], name: string): Json[] => items.filter((c) => c.name === name);
const property = (c: Json, name: string) => c.properties?.find((p: Json) => p.name === name)?.value;

describe("the inventory these tests write", () => {
  test("has what the SBOMs must show: OS, Python, npm packages, one at two paths, and findings", () => {
    const types = new Set(inventory.packages.map((p) => p.type));
    assert.deepEqual([...types].sort(), ["deb", "npm", "pypi"]);
    assert.ok(inventory.packages.filter((p) => p.type === "deb").length > 50, "this machine's dpkg status");
    assert.equal(inventory.packages.filter((p) => p.name === "jose").length, 2);
    assert.equal(inventory.os?.id, "debian");
    const ids = findings.map((f) => `${f.pkg.name} ${f.vulnerabilityId}`);
    assert.ok(ids.includes("tar CVE-2022-48303"), ids.join(", "));
    assert.ok(ids.includes("semver CVE-2022-25883"), ids.join(", "));
  });
});

describe("CycloneDX 1.6", () => {
  test("is valid against bom-1.6 and lists every package once, and the OS", () => {
    const bom = JSON.parse(cyclonedxJson(input()));
    assertValid(validateCyclonedx, bom);
    assert.equal(bom.bomFormat, "CycloneDX");
    assert.equal(bom.specVersion, "1.6");
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
    const libraries = bom.components.filter((c: Json) => c.type === "library");
    assert.equal(libraries.length, inventory.packages.length);
    const purls = libraries.map((c: Json) => c.purl).sort();
    assert.deepEqual(purls, inventory.packages.map((p) => p.purl).sort());
    const refs = bom.components.map((c: Json) => c["bom-ref"]);
    assert.equal(new Set(refs).size, refs.length, "bom-refs are unique");
    assert.deepEqual(
      bom.components.filter((c: Json) => c.type === "operating-system"),
      [
        {
          type: "operating-system",
          name: "debian",
          version: "12",
          "bom-ref": "os:debian@12",
          description: inventory.os?.prettyName,
        },
      ],
    );
  });

  test("in purl order, then path: the same package at two paths is two components", () => {
    const bom = JSON.parse(cyclonedxJson(input()));
    const libraries = bom.components.filter((c: Json) => c.type === "library");
    const keys = libraries.map((c: Json) => `${c.purl}\0${property(c, "syft:location:0:path")}`);
    assert.deepEqual(keys, [...keys].sort());
    const jose = byName(libraries, "jose");
    assert.deepEqual(
      jose.map((c) => property(c, "syft:location:0:path")),
      ["/srv/node_modules/jose/package.json", "/srv2/node_modules/jose/package.json"],
    );
    assert.equal(jose[0]!.purl, jose[1]!.purl);
    assert.notEqual(jose[0]!["bom-ref"], jose[1]!["bom-ref"]);
  });

  test("each component says its cataloger, layer (diff ID) and path in syft's property names", () => {
    const bom = JSON.parse(cyclonedxJson(input()));
    const components = bom.components.filter((c: Json) => c.type === "library");
    for (const pkg of inventory.packages) {
      const matching = components.filter(
        (c: Json) => c.purl === pkg.purl && property(c, "syft:location:0:path") === `/${pkg.path}`,
      );
      assert.equal(matching.length, 1, `${pkg.purl} at ${pkg.path}`);
      assert.equal(property(matching[0]!, "syft:location:0:layerID"), pkg.layer.diffId);
      assert.equal(property(matching[0]!, "syft:package:foundBy"), pkg.cataloger);
      assert.ok(matching[0]!["bom-ref"].startsWith(`${pkg.purl}`));
    }
    const [jose] = byName(components, "jose");
    assert.equal(property(jose!, "syft:location:0:layerID"), image.layers[1]!.diffId);
    const [tar] = byName(components, "tar");
    assert.equal(property(tar!, "syft:location:0:layerID"), image.layers[0]!.diffId);
    assert.equal(property(tar!, "syft:package:foundBy"), "dpkg");
  });

  test("the image is metadata.component, wharf the tool, and the image depends on every component", () => {
    const bom = JSON.parse(cyclonedxJson(input()));
    const hex = image.manifestDigest.slice("sha256:".length);
    assert.deepEqual(bom.metadata.component, {
      type: "container",
      name: "example.com/team/app:1.0",
      version: image.manifestDigest,
      "bom-ref": `pkg:oci/app@sha256:${hex}?arch=amd64&tag=1.0`,
      purl: `pkg:oci/app@sha256:${hex}?arch=amd64&tag=1.0`,
    });
    assert.equal(bom.metadata.timestamp, "2025-01-02T03:04:05.678Z");
    assert.deepEqual(bom.metadata.tools, {
      components: [{ type: "application", name: "wharf", version: "9.8.7" }],
    });
    const imageDeps = bom.dependencies.find((d: Json) => d.ref === bom.metadata.component["bom-ref"]);
    assert.deepEqual(
      imageDeps.dependsOn,
      bom.components.map((c: Json) => c["bom-ref"]),
    );
    assert.equal(bom.vulnerabilities, undefined, "no findings given, none written");
  });

  test("licenses: SPDX IDs as IDs, an SPDX expression as one, other text as a name", () => {
    const bom = JSON.parse(cyclonedxJson(input()));
    const licenses = (name: string) => byName(bom.components, name)[0]!.licenses;
    assert.deepEqual(licenses("PyYAML"), [{ license: { id: "MIT" } }]);
    assert.deepEqual(licenses("cryptography"), [{ expression: "BSD-3-Clause OR Apache-2.0" }]);
    assert.deepEqual(licenses("@biomejs/biome"), [{ expression: "MIT OR Apache-2.0" }]);
    assert.deepEqual(licenses("blinker"), [{ license: { name: "MIT License" } }]);
    assert.deepEqual(licenses("distro"), [{ license: { name: "Apache License, Version 2.0" } }]);
    assert.equal(licenses("tar"), undefined, "dpkg keeps no licenses");
  });

  test("findings: vulnerabilities from OSV, rated, affecting components by bom-ref, with the fix", () => {
    const bom = JSON.parse(cyclonedxJson(input({ findings })));
    assertValid(validateCyclonedx, bom);
    assert.equal(
      bom.vulnerabilities.length,
      new Set(findings.map((f) => `${f.vulnerabilityId} ${f.recordId}`)).size,
    );
    const refOf = (name: string) => byName(bom.components, name).map((c) => c["bom-ref"]);
    const tar = bom.vulnerabilities.find((v: Json) => v.id === "CVE-2022-48303");
    assert.deepEqual(tar.source, { name: "OSV", url: "https://osv.dev/vulnerability/DEBIAN-CVE-2022-48303" });
    assert.deepEqual(
      tar.affects,
      refOf("tar").map((ref) => ({ ref, versions: [{ version: "1.34+dfsg-1.2", status: "affected" }] })),
    );
    assert.match(tar.recommendation, /^Upgrade tar to 1\.34\+dfsg-1\.2\+deb12u1\.$/);
    const semver = bom.vulnerabilities.find((v: Json) => v.id === "CVE-2022-25883");
    assert.deepEqual(semver.source.url, "https://osv.dev/vulnerability/GHSA-c2qf-rxjj-qqgw");
    const finding = findings.find((f) => f.recordId === "GHSA-c2qf-rxjj-qqgw")!;
    assert.deepEqual(semver.ratings, [
      {
        source: { name: "OSV", url: "https://osv.dev/vulnerability/GHSA-c2qf-rxjj-qqgw" },
        score: finding.severity.score,
        severity: finding.severity.severity.toLowerCase(),
        method: "CVSSv31",
        vector: finding.severity.vector,
      },
    ]);
    assert.ok(semver.ratings[0].vector.startsWith("CVSS:3.1/"));
    assert.deepEqual(
      semver.affects.map((a: Json) => a.ref),
      refOf("semver"),
    );
    assert.ok(semver.references.some((r: Json) => r.id === "GHSA-c2qf-rxjj-qqgw"));
  });

  test("two runs differ only in the serial number and the timestamp", () => {
    const strip = (text: string) => {
      const bom = JSON.parse(text);
      assert.ok(bom.serialNumber && bom.metadata.timestamp);
      bom.serialNumber = undefined;
      bom.metadata.timestamp = undefined;
      return bom;
    };
    const first = cyclonedxJson(input({ findings }));
    const second = cyclonedxJson(input({ findings, createdAt: new Date() }));
    assert.notEqual(first, second);
    assert.deepEqual(strip(first), strip(second));
  });
});

describe("SPDX 2.3", () => {
  test("is valid against the SPDX 2.3 schema: the image, the OS and every package", () => {
    const doc = JSON.parse(spdxJson(input()));
    assertValid(validateSpdx, doc);
    assert.equal(doc.spdxVersion, "SPDX-2.3");
    assert.equal(doc.dataLicense, "CC0-1.0");
    assert.equal(doc.SPDXID, "SPDXRef-DOCUMENT");
    assert.equal(doc.name, "example.com/team/app:1.0");
    assert.match(
      doc.documentNamespace,
      /^https:\/\/wharf\.dev\/spdx\/example\.com-team-app-1\.0-[0-9a-f-]{36}$/,
    );
    assert.deepEqual(doc.creationInfo, { creators: ["Tool: wharf-9.8.7"], created: "2025-01-02T03:04:05Z" });
    assert.equal(doc.packages.length, inventory.packages.length + 2);
    const ids = doc.packages.map((p: Json) => p.SPDXID);
    assert.equal(new Set(ids).size, ids.length, "SPDX IDs are unique");
    assert.ok(ids.every((id: string) => /^SPDXRef-[A-Za-z0-9.-]+$/.test(id)));
    const purls = doc.packages
      .filter((p: Json) => p.primaryPackagePurpose === "LIBRARY")
      .map(
        (p: Json) =>
          p.externalRefs.find((r: Json) => r.referenceCategory === "PACKAGE-MANAGER").referenceLocator,
      );
    assert.deepEqual(purls, [...purls].sort(), "in purl order");
    assert.deepEqual([...purls].sort(), inventory.packages.map((p) => p.purl).sort());
  });

  test("the image package: CONTAINER, its digest and purl; the document DESCRIBES it, it CONTAINS the rest", () => {
    const doc = JSON.parse(spdxJson(input()));
    const [root, os] = doc.packages;
    assert.equal(root.primaryPackagePurpose, "CONTAINER");
    assert.equal(root.versionInfo, image.manifestDigest);
    assert.deepEqual(root.checksums, [{ algorithm: "SHA256", checksumValue: image.manifestDigest.slice(7) }]);
    assert.deepEqual(root.externalRefs, [
      {
        referenceCategory: "PACKAGE-MANAGER",
        referenceType: "purl",
        referenceLocator: imageIdentity("example.com/team/app:1.0", image).purl,
      },
    ]);
    assert.equal(os.primaryPackagePurpose, "OPERATING_SYSTEM");
    assert.equal(os.name, "debian");
    assert.equal(os.versionInfo, "12");
    const describes = doc.relationships.filter((r: Json) => r.relationshipType === "DESCRIBES");
    assert.deepEqual(describes, [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: root.SPDXID },
    ]);
    const contained = doc.relationships
      .filter((r: Json) => r.relationshipType === "CONTAINS" && r.spdxElementId === root.SPDXID)
      .map((r: Json) => r.relatedSpdxElement);
    assert.deepEqual(
      contained,
      doc.packages.slice(1).map((p: Json) => p.SPDXID),
    );
  });

  test("each package: no assertions but its declared SPDX license, its purl and where it was found", () => {
    const doc = JSON.parse(spdxJson(input()));
    const pkg = (name: string) => byName(doc.packages, name)[0]!;
    const tar = pkg("tar");
    assert.equal(tar.versionInfo, "1.34+dfsg-1.2");
    assert.equal(tar.downloadLocation, "NOASSERTION");
    assert.equal(tar.filesAnalyzed, false);
    assert.equal(tar.licenseConcluded, "NOASSERTION");
    assert.equal(tar.licenseDeclared, "NOASSERTION");
    assert.equal(
      tar.sourceInfo,
      `acquired package info from /var/lib/dpkg/status (dpkg cataloger) in layer 0 (${image.layers[0]!.diffId})`,
    );
    assert.match(tar.SPDXID, /^SPDXRef-Package-deb-tar-[0-9a-f]{16}$/);
    assert.equal(pkg("PyYAML").licenseDeclared, "MIT");
    assert.equal(pkg("cryptography").licenseDeclared, "BSD-3-Clause OR Apache-2.0");
    assert.equal(pkg("distro").licenseDeclared, "NOASSERTION");
    assert.equal(
      pkg("distro").licenseComments,
      "declared, not an SPDX expression: Apache License, Version 2.0",
    );
    const jose = byName(doc.packages, "jose");
    assert.equal(jose.length, 2);
    assert.ok(jose.every((p) => p.sourceInfo.endsWith(`in layer 1 (${image.layers[1]!.diffId})`)));
  });

  test("findings: SECURITY advisory references on the affected packages; the rest unchanged", () => {
    const doc = JSON.parse(spdxJson(input({ findings })));
    assertValid(validateSpdx, doc);
    const advisories = (name: string) =>
      byName(doc.packages, name)[0]!
        .externalRefs.filter((r: Json) => r.referenceCategory === "SECURITY")
        .map((r: Json) => r.referenceLocator);
    assert.ok(advisories("tar").includes("https://osv.dev/vulnerability/DEBIAN-CVE-2022-48303"));
    assert.deepEqual(advisories("semver"), ["https://osv.dev/vulnerability/GHSA-c2qf-rxjj-qqgw"]);
    assert.deepEqual(advisories("PyYAML"), []);
  });

  test("two runs differ only in the creation time and the namespace's UUID", () => {
    const strip = (text: string) => {
      const doc = JSON.parse(text);
      doc.creationInfo.created = undefined;
      doc.documentNamespace = doc.documentNamespace.replace(/[0-9a-f-]{36}$/, "");
      return doc;
    };
    const first = spdxJson(input());
    const second = spdxJson(input({ createdAt: new Date() }));
    assert.notEqual(JSON.parse(first).documentNamespace, JSON.parse(second).documentNamespace);
    assert.deepEqual(strip(first), strip(second));
  });
});

describe("the image's package URL", () => {
  const hex = () => image.manifestDigest.slice(7);
  test("a registry image has its repository_url; a local one its name and tag only", () => {
    assert.equal(
      imageIdentity("docker://ghcr.io/org/app:v2", image).purl,
      `pkg:oci/app@sha256:${hex()}?arch=amd64&repository_url=ghcr.io%2Forg%2Fapp&tag=v2`,
    );
    assert.equal(
      imageIdentity("busybox:1.36", image).purl,
      `pkg:oci/busybox@sha256:${hex()}?arch=amd64&tag=1.36`,
    );
    // As syft writes it: no tag named, none assumed.
    assert.equal(imageIdentity("busybox", image).purl, `pkg:oci/busybox@sha256:${hex()}?arch=amd64`);
  });

  test("a layout or an archive is named by its directory or file, or the name it holds", () => {
    assert.equal(
      imageIdentity("oci:/tmp/x/My-Layout:v1", image).purl,
      `pkg:oci/my-layout@sha256:${hex()}?arch=amd64&tag=v1`,
    );
    assert.equal(
      imageIdentity("docker-archive:/tmp/app.tar", image).purl,
      `pkg:oci/app@sha256:${hex()}?arch=amd64`,
    );
    assert.equal(
      imageIdentity("docker-archive:/tmp/a.tar:team/web:3", image).purl,
      `pkg:oci/web@sha256:${hex()}?arch=amd64&tag=3`,
    );
  });
});

describe("SPDX license expressions (SPDX 2.3 Annex D)", () => {
  test("valid ones are written canonically", () => {
    assert.equal(spdxExpression("mit"), "MIT");
    assert.equal(
      spdxExpression("(MIT OR apache-2.0) AND BSD-3-Clause"),
      "(MIT OR Apache-2.0) AND BSD-3-Clause",
    );
    assert.equal(
      spdxExpression("GPL-2.0-or-later WITH Classpath-exception-2.0"),
      "GPL-2.0-or-later WITH Classpath-exception-2.0",
    );
    assert.equal(spdxExpression("LGPL-2.1+"), "LGPL-2.1+");
    assert.equal(
      spdxExpression("LicenseRef-wharf-1 OR DocumentRef-x:LicenseRef-y"),
      "LicenseRef-wharf-1 OR DocumentRef-x:LicenseRef-y",
    );
  });

  test("anything else is not one", () => {
    for (const text of [
      "",
      "MIT OR",
      "(MIT",
      "MIT)",
      "MIT and BSD-3-Clause",
      "Apache License, Version 2.0",
      "GPL2+",
      "MIT WITH",
      "AND MIT",
      "MIT MIT",
    ]) {
      assert.equal(spdxExpression(text), undefined, text);
    }
  });

  test("a package's licenses as one expression: ANDed, compound parts in parentheses, or none", () => {
    assert.equal(declaredExpression(["MIT"]), "MIT");
    assert.equal(
      declaredExpression(["MIT", "Apache-2.0 OR BSD-2-Clause", "MIT"]),
      "MIT AND (Apache-2.0 OR BSD-2-Clause)",
    );
    assert.equal(declaredExpression(["(MIT OR ISC)", "Zlib"]), "(MIT OR ISC) AND Zlib");
    assert.equal(declaredExpression(["MIT", "MIT License"]), undefined);
    assert.equal(declaredExpression([]), undefined);
  });
});
