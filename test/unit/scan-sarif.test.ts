/**
 * `wharf scan --format sarif` (src/scan/sarif.ts) on real findings: a layer with a Debian 12 dpkg
 * status and npm packages at vulnerable versions, catalogued by the image walker and matched against
 * the OSV fixture records. The SARIF 2.1.0 schema is not in ../shared, so the structure is checked by
 * hand against what the schema requires (sarifLog: version + runs; run: tool.driver.name; rule: id;
 * result: message.text, a ruleIndex that points at its ruleId, a level of the enum; location: a
 * relative artifactLocation.uri and a region with lines from 1).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { pack } from "tar-stream";
import { catalogImage } from "../../src/scan/catalog/image-catalog.ts";
import { defaultCatalogers } from "../../src/scan/catalog/index.ts";
import { VulnerabilityDatabase } from "../../src/scan/db/database.ts";
import { matchPackages } from "../../src/scan/match.ts";
import { groupResults, type ScanTarget } from "../../src/scan/results.ts";
import { sarifReport } from "../../src/scan/sarif.ts";
import { tempDir } from "../helpers/tmp.ts";

const RECORDS = fileURLToPath(new URL("../../../shared/fixtures/osv/records/", import.meta.url));

const DPKG_STATUS = `Package: tar
Status: install ok installed
Architecture: amd64
Version: 1.34+dfsg-1.2
`;
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const npm = (name: string, version: string) => JSON.stringify({ name, version });

async function layer(files: Record<string, string>) {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  await done;
  const blob = Buffer.concat(chunks);
  return {
    digest: `sha256:${createHash("sha256").update(blob).digest("hex")}`,
    mediaType: "application/vnd.oci.image.layer.v1.tar",
    open: async () => Readable.from([blob]),
  };
}

/** What the tests read of a SARIF log. */
interface Text {
  text: string;
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: Text;
  fullDescription: Text;
  helpUri: string;
  help: { text: string; markdown: string };
  properties: Record<string, unknown> & { "security-severity": string; tags: string[] };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: Text;
  locations: {
    message: Text;
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region: { startLine: number; endLine: number };
    };
  }[];
}
interface SarifLog {
  version: string;
  $schema: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: SarifRule[] } };
    results: SarifResult[];
    originalUriBaseIds: unknown;
    properties: Record<string, unknown>;
  }[];
}

let targets: ScanTarget[];
let sarif: SarifLog;

before(async () => {
  const inventory = await catalogImage(
    [
      await layer({
        "etc/os-release": OS_RELEASE,
        "var/lib/dpkg/status": DPKG_STATUS,
        "app/node_modules/lodash/package.json": npm("lodash", "4.17.20"),
        "srv/node_modules/lodash/package.json": npm("lodash", "4.17.20"),
        "app/node_modules/semver/package.json": npm("semver", "7.5.1"),
        "app/node_modules/minimist/package.json": npm("minimist", "1.2.5"),
        "app/node_modules/cookie/package.json": npm("cookie", "0.6.0"),
        "app/my dir/node_modules/lodash/package.json": npm("lodash", "4.17.20"),
      }),
    ],
    defaultCatalogers(),
  );
  const db = VulnerabilityDatabase.open(join(tempDir("wharf-sarif-"), "osv.db"), { create: true });
  try {
    await db.import(RECORDS);
    targets = groupResults("app:1", inventory, matchPackages(inventory.packages, db));
  } finally {
    db.close();
  }
  // Through JSON, as a reader gets it.
  const report = sarifReport({ artifactName: "app:1", imageId: "sha256:abc", targets, toolVersion: "9.9.9" });
  sarif = JSON.parse(JSON.stringify(report)) as SarifLog;
});

const run = () => sarif.runs[0]!;
const results = () => run().results;
const rules = () => run().tool.driver.rules;
const resultsFor = (id: string) => results().filter((r) => r.ruleId === id);
const ruleFor = (id: string) => rules().find((r) => r.id === id)!;

test("the log has what SARIF 2.1.0 requires, and each result points at its rule", () => {
  assert.equal(sarif.version, "2.1.0");
  assert.match(sarif.$schema, /sarif-schema-2\.1\.0\.json$/);
  assert.equal(sarif.runs.length, 1);
  const driver = run().tool.driver;
  assert.deepEqual([driver.name, driver.version], ["wharf", "9.9.9"]);
  const ids = rules().map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, "one rule per vulnerability ID");
  const findings = targets.flatMap((t) => t.findings);
  assert.equal(results().length, findings.length);
  assert.ok(findings.length >= 5);
  for (const r of results()) {
    assert.equal(typeof r.message.text, "string");
    assert.equal(rules()[r.ruleIndex]?.id, r.ruleId);
    assert.ok(["none", "note", "warning", "error"].includes(r.level));
    assert.equal(r.locations.length, 1);
    const physical = r.locations[0]!.physicalLocation;
    assert.equal(physical.artifactLocation.uriBaseId, "ROOTPATH");
    assert.doesNotMatch(physical.artifactLocation.uri, /^\/|[ ?#]/, "a relative URI reference");
    assert.ok(physical.region.startLine >= 1 && physical.region.endLine >= physical.region.startLine);
  }
  for (const rule of rules()) {
    assert.equal(typeof rule.shortDescription.text, "string");
    assert.equal(typeof rule.fullDescription.text, "string");
    assert.match(rule.helpUri, /^https:\/\/osv\.dev\/vulnerability\//);
    assert.match(rule.properties["security-severity"], /^\d+\.\d$/);
  }
  assert.deepEqual(run().originalUriBaseIds, { ROOTPATH: { uri: "file:///" } });
  assert.equal(run().properties.imageName, "app:1");
});

test("levels and security-severity: the CVSS v3 score, else trivy's score for the severity", () => {
  // GHSA-35jh-r3h4-6jhm: CVSS:3.1 7.2 (HIGH).
  assert.equal(ruleFor("CVE-2021-23337").properties["security-severity"], "7.2");
  assert.deepEqual(ruleFor("CVE-2021-23337").properties.tags, ["vulnerability", "security", "HIGH"]);
  assert.equal(ruleFor("CVE-2021-23337").properties.cvssv3_baseScore, 7.2);
  assert.equal(resultsFor("CVE-2021-23337")[0]!.level, "error");
  // GHSA-xvch-5gv4-984h: CVSS:3.1 9.8 (CRITICAL).
  assert.equal(ruleFor("CVE-2021-44906").properties["security-severity"], "9.8");
  assert.equal(resultsFor("CVE-2021-44906")[0]!.level, "error");
  // GHSA-c2qf-rxjj-qqgw: CVSS:3.1 5.3 (MEDIUM).
  assert.equal(ruleFor("CVE-2022-25883").properties["security-severity"], "5.3");
  assert.equal(resultsFor("CVE-2022-25883")[0]!.level, "warning");
  // GHSA-pxg6-pf52-xh8x: no vector, GitHub's LOW.
  assert.equal(ruleFor("CVE-2024-47764").properties["security-severity"], "2.0");
  assert.equal(resultsFor("CVE-2024-47764")[0]!.level, "note");
  // Debian's derived tar record has no severity: UNKNOWN.
  assert.equal(ruleFor("CVE-2022-48303").properties["security-severity"], "0.0");
  assert.equal(ruleFor("CVE-2022-48303").name, "OsPackageVulnerability");
  assert.equal(ruleFor("CVE-2021-23337").name, "LanguageSpecificPackageVulnerability");
  assert.equal(resultsFor("CVE-2022-48303")[0]!.level, "note");
});

test("results: a message naming package and versions, located at the package's file in the image", () => {
  const tar = resultsFor("CVE-2022-48303")[0]!;
  assert.equal(
    tar.message.text,
    "Package: tar\nInstalled Version: 1.34+dfsg-1.2\nVulnerability CVE-2022-48303\nSeverity: UNKNOWN\n" +
      "Fixed Version: 1.34+dfsg-1.2+deb12u1\nLink: [CVE-2022-48303](https://osv.dev/vulnerability/DEBIAN-CVE-2022-48303)",
  );
  assert.equal(tar.locations[0]!.physicalLocation.artifactLocation.uri, "var/lib/dpkg/status");
  assert.equal(tar.locations[0]!.message.text, "var/lib/dpkg/status: tar@1.34+dfsg-1.2");
  // lodash in three places: three results, one rule; the space in a path is escaped.
  const lodash = resultsFor("CVE-2021-23337").map(
    (r) => r.locations[0]!.physicalLocation.artifactLocation.uri,
  );
  assert.deepEqual(lodash.sort(), [
    "app/my%20dir/node_modules/lodash/package.json",
    "app/node_modules/lodash/package.json",
    "srv/node_modules/lodash/package.json",
  ]);
  assert.equal(rules().filter((r) => r.id === "CVE-2021-23337").length, 1);
  assert.match(ruleFor("CVE-2021-23337").help.markdown, /\|HIGH\|lodash\|4\.17\.21\|\[CVE-2021-23337\]/);
});
