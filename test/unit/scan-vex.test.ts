/**
 * `wharf scan --vex` (src/scan/vex.ts, vex-match.ts): the real OpenVEX document of the Node.js
 * security WG in ../shared (183 statements about pkg:nodejs/node: 172 `fixed` for the releases that
 * fixed a CVE, 11 `not_affected` for every version), and small documents for each status, for the
 * latest-statement rule, for vulnerability aliases, for purl qualifiers and for the image as product.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { parseDigest } from "../../src/oci/digest.ts";
import type { Finding } from "../../src/scan/match.ts";
import { filterByVex, parseOpenVex, type VexDocument } from "../../src/scan/vex.ts";
import { purlMatches, type VexImage, vexImage } from "../../src/scan/vex-match.ts";

const NODE_VEX = readFileSync(
  new URL("../../../shared/fixtures/osv/vex/nodejs-security-wg-node.openvex.json", import.meta.url),
  "utf8",
);

const TAR_PURL = "pkg:deb/debian/tar@1.34%2Bdfsg-1.2?arch=amd64&distro=debian-12";
const MANIFEST = parseDigest(`sha256:${"a".repeat(64)}`);
const INDEX = parseDigest(`sha256:${"b".repeat(64)}`);
const IMAGE: VexImage = vexImage(
  { manifestDigest: MANIFEST, indexDigest: INDEX, architecture: "amd64" },
  { domain: "docker.io", path: "library/vulnerable" },
);

/** A finding as the matcher reports one, for the package URL `purl`. */
function finding(
  vulnerabilityId: string,
  purl: string,
  ids: { recordId?: string; aliases?: string[] } = {},
): Finding {
  const name = /^pkg:[^/]+\/(?:[^/]+\/)?([^@?]+)/.exec(purl)?.[1] ?? "pkg";
  return {
    vulnerabilityId,
    recordId: ids.recordId ?? vulnerabilityId,
    aliases: ids.aliases ?? [],
    pkg: {
      type: "npm",
      name,
      version: "1",
      ecosystem: "npm",
      purl,
      path: `app/node_modules/${name}/package.json`,
      layer: { index: 0, digest: `sha256:${"c".repeat(64)}` },
      cataloger: "npm",
    },
    installedVersion: "1",
    fixedVersions: [],
    severity: { severity: "HIGH" },
    title: "",
    description: "",
    primaryUrl: "",
    references: [],
  };
}

/** A one-document scan: whether the finding is left. */
function kept(doc: VexDocument | string, f: Finding, image: VexImage = IMAGE): boolean {
  const parsed = typeof doc === "string" ? parseOpenVex(doc) : doc;
  return filterByVex([f], [parsed], image).kept.length === 1;
}

const vex = (...statements: object[]) =>
  JSON.stringify({
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex-1",
    author: "wharf tests",
    timestamp: "2024-01-01T00:00:00Z",
    version: 1,
    statements,
  });
const about = (name: string, products: object[], status: string, extra: object = {}) => ({
  vulnerability: { name },
  products,
  status,
  ...(status === "not_affected" ? { justification: "vulnerable_code_not_present" } : {}),
  ...extra,
});

describe("the Node.js security WG's document", () => {
  const doc = parseOpenVex(NODE_VEX);

  test("is read whole", () => {
    assert.equal(doc.statements.length, 183);
    const statuses = doc.statements.map((s) => s.status);
    assert.equal(statuses.filter((s) => s === "fixed").length, 172);
    assert.equal(statuses.filter((s) => s === "not_affected").length, 11);
    assert.match(doc.id ?? "", /^https:\/\/openvex\.dev\/docs\/public\/vex-96f5bef8/);
  });

  test("fixed in a release hides the CVE for that release only", () => {
    // CVE-2015-3193: fixed in pkg:nodejs/node@v5.1.1 and @v4.2.3.
    assert.equal(kept(doc, finding("CVE-2015-3193", "pkg:nodejs/node@v5.1.1")), false);
    assert.equal(kept(doc, finding("CVE-2015-3193", "pkg:nodejs/node@v4.2.3")), false);
    assert.equal(kept(doc, finding("CVE-2015-3193", "pkg:nodejs/node@v5.1.0")), true);
    assert.equal(kept(doc, finding("CVE-2015-3194", "pkg:nodejs/node@v4.1.2")), true, "another release");
  });

  test("not_affected for pkg:nodejs/node (no version) hides the CVE for every version, of node only", () => {
    assert.equal(kept(doc, finding("CVE-2023-45853", "pkg:nodejs/node@v20.11.0")), false);
    assert.equal(kept(doc, finding("CVE-2024-13176", "pkg:nodejs/node@v18.0.0")), false);
    // The same OpenSSL CVE in Debian's openssl is not Node.js's to waive.
    const openssl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12";
    assert.equal(kept(doc, finding("CVE-2024-13176", openssl)), true);
    assert.equal(kept(doc, finding("CVE-2023-45853", "pkg:npm/node@20.11.0")), true, "npm's node package");
  });

  test("a product that is not a version ('pkg:nodejs/node@v>= 10.9.0') names no release", () => {
    assert.equal(kept(doc, finding("CVE-2018-7166", "pkg:nodejs/node@v10.9.0")), true);
    assert.equal(kept(doc, finding("CVE-2018-7166", "pkg:nodejs/node@v>= 10.9.0")), false, "the same string");
  });
});

describe("statuses and the latest statement", () => {
  const lodash = finding("CVE-2021-23337", "pkg:npm/lodash@4.17.20", {
    recordId: "GHSA-35jh-r3h4-6jhm",
    aliases: ["CVE-2021-23337"],
  });
  const product = [{ "@id": "pkg:npm/lodash@4.17.20" }];

  test("not_affected and fixed hide a finding; affected and under_investigation keep it", () => {
    assert.equal(kept(vex(about("CVE-2021-23337", product, "not_affected")), lodash), false);
    assert.equal(kept(vex(about("CVE-2021-23337", product, "fixed")), lodash), false);
    const action = { action_statement: "upgrade to 4.17.21" };
    assert.equal(kept(vex(about("CVE-2021-23337", product, "affected", action)), lodash), true);
    assert.equal(kept(vex(about("CVE-2021-23337", product, "under_investigation")), lodash), true);
    assert.equal(kept(vex(about("CVE-2021-99999", product, "not_affected")), lodash), true, "another CVE");
  });

  test("the latest statement decides: by timestamp, then by place in the document", () => {
    const at = (t: string) => ({ timestamp: t });
    const early = about("CVE-2021-23337", product, "not_affected", at("2024-01-01T00:00:00Z"));
    const late = about("CVE-2021-23337", product, "affected", {
      ...at("2024-06-01T00:00:00Z"),
      action_statement: "x",
    });
    assert.equal(kept(vex(early, late), lodash), true);
    assert.equal(kept(vex(late, early), lodash), true, "timestamps, not order");
    const investigating = about("CVE-2021-23337", product, "under_investigation");
    const resolved = about("CVE-2021-23337", product, "not_affected");
    assert.equal(kept(vex(investigating, resolved), lodash), false, "same time: the later one");
    assert.equal(kept(vex(resolved, investigating), lodash), true);
  });

  test("the vulnerability by its OSV record ID, an alias, or its @id", () => {
    assert.equal(kept(vex(about("GHSA-35jh-r3h4-6jhm", product, "fixed")), lodash), false);
    const byAlias = {
      vulnerability: { name: "OTHER-1", aliases: ["CVE-2021-23337"] },
      products: product,
      status: "fixed",
    };
    assert.equal(kept(vex(byAlias), lodash), false);
    const byId = { vulnerability: { "@id": "GHSA-35jh-r3h4-6jhm" }, products: product, status: "fixed" };
    assert.equal(kept(vex(byId), lodash), false);
  });

  test("OpenVEX v0.0.1: a vulnerability and products as strings", () => {
    const old = JSON.stringify({
      "@context": "https://openvex.dev/ns",
      statements: [{ vulnerability: "CVE-2021-23337", products: ["pkg:npm/lodash"], status: "fixed" }],
    });
    assert.equal(kept(old, lodash), false);
  });
});

describe("products", () => {
  const tar = finding("CVE-2022-48303", TAR_PURL);

  test("a package URL without qualifiers or version names the package; one with others' does not", () => {
    assert.ok(purlMatches("pkg:deb/debian/tar@1.34%2Bdfsg-1.2", TAR_PURL));
    assert.ok(purlMatches("pkg:deb/debian/tar?arch=amd64", TAR_PURL));
    assert.ok(!purlMatches("pkg:deb/debian/tar?arch=arm64", TAR_PURL));
    assert.ok(!purlMatches("pkg:deb/debian/tar@1.35", TAR_PURL));
    assert.ok(!purlMatches("pkg:deb/ubuntu/tar", TAR_PURL));
    assert.ok(!purlMatches("pkg:deb/debian/tar", "not a purl"));
    const doc = (id: string) => vex(about("CVE-2022-48303", [{ "@id": id }], "not_affected"));
    assert.equal(kept(doc("pkg:deb/debian/tar@1.34%2Bdfsg-1.2"), tar), false);
    assert.equal(kept(doc("pkg:deb/debian/tar?arch=arm64"), tar), true);
    const byIdentifier = about("CVE-2022-48303", [{ identifiers: { purl: "pkg:deb/debian/tar" } }], "fixed");
    assert.equal(kept(vex(byIdentifier), tar), false);
  });

  test("the image (pkg:oci/NAME, its digest) with the package as subcomponent, or with none", () => {
    const libc = finding("CVE-2022-48303", "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12");
    const inImage = vex(
      about(
        "CVE-2022-48303",
        [{ "@id": "pkg:oci/vulnerable", subcomponents: [{ "@id": "pkg:deb/debian/tar" }] }],
        "not_affected",
      ),
    );
    assert.equal(kept(inImage, tar), false);
    assert.equal(kept(inImage, libc), true, "not the subcomponent");
    assert.equal(
      kept(inImage, tar, vexImage({ manifestDigest: MANIFEST, architecture: "amd64" })),
      true,
      "no name",
    );
    const wholeImage = vex(
      about("CVE-2022-48303", [{ "@id": `pkg:oci/vulnerable@${encodeURIComponent(INDEX)}` }], "fixed"),
    );
    assert.equal(kept(wholeImage, libc), false, "the index digest as the purl's version");
    const repo = "pkg:oci/vulnerable?repository_url=index.docker.io/library/vulnerable";
    assert.equal(kept(vex(about("CVE-2022-48303", [{ "@id": repo }], "fixed")), libc), false);
    const other = "pkg:oci/vulnerable?repository_url=ghcr.io/x/vulnerable";
    assert.equal(kept(vex(about("CVE-2022-48303", [{ "@id": other }], "fixed")), libc), true);
    const byHash = about("CVE-2022-48303", [{ hashes: { "sha-256": "a".repeat(64) } }], "fixed");
    assert.equal(kept(vex(byHash), libc), false, "the manifest digest as a hash");
    assert.equal(kept(vex(about("CVE-2022-48303", [{ "@id": MANIFEST }], "fixed")), libc), false);
    // A product with subcomponents names those, not the product alone.
    const tarWithParts = about(
      "CVE-2022-48303",
      [{ "@id": "pkg:deb/debian/tar", subcomponents: [{ "@id": "pkg:x/y" }] }],
      "fixed",
    );
    assert.equal(kept(vex(tarWithParts), tar), true);
  });

  test("filterByVex reports what it hid and which statement did", () => {
    const doc = parseOpenVex(vex(about("CVE-2022-48303", [{ "@id": "pkg:deb/debian/tar" }], "not_affected")));
    const other = finding("CVE-2021-23337", "pkg:npm/lodash@4.17.20");
    const { kept: left, hidden } = filterByVex([tar, other], [doc], IMAGE);
    assert.deepEqual(left, [other]);
    assert.equal(hidden.length, 1);
    assert.equal(hidden[0]!.finding, tar);
    assert.equal(hidden[0]!.statement.justification, "vulnerable_code_not_present");
  });
});

test("a document that is not OpenVEX is a usage error of one line", () => {
  const rejects = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseOpenVex(text),
      (err: unknown) =>
        isWharfError(err, "SCAN_VEX_INVALID") && pattern.test(err.message) && !err.message.includes("\n"),
    );
  rejects("{", /^not JSON \(/);
  rejects(JSON.stringify({ bomFormat: "CycloneDX", vulnerabilities: [] }), /not an OpenVEX document/);
  rejects(
    vex({ vulnerability: { name: "CVE-1" }, products: [], status: "ignored" }),
    /statement 1 has status "ignored"/,
  );
  rejects(vex({ vulnerability: {}, products: [], status: "fixed" }), /statement 1 names no vulnerability/);
  rejects(vex({ vulnerability: { name: "CVE-1" }, status: "fixed" }), /statement 1 has no products/);
});
