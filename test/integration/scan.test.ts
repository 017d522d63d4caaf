/**
 * `wharf scan` end to end: the real OSV records of ../shared/fixtures/osv imported with `wharf scan
 * db import`, an image built with `wharf build` on the busybox fixture that carries vulnerable
 * versions on purpose (a Debian 12 dpkg status naming tar 1.34+dfsg-1.2 and libc6 from glibc
 * 2.36-9+deb12u3, npm's lodash 4.17.20 and semver 7.5.1, moment 2.29.1 deleted again by a later
 * RUN, and Debian's runc binary, built with go1.19.8), scanned from the store, an OCI layout and a
 * docker-archive. Every expected finding below was checked by hand against its record file. Then
 * the other outputs (SARIF, Go templates, the SBOMs) and filters (--vex, --only-fixed) on that image.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { contextDir, ok, wharfIn } from "../helpers/build-cli.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { tempDir } from "../helpers/tmp.ts";

const OSV = new URL("../../../shared/fixtures/osv/", import.meta.url).pathname;
const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;
const RUNC = "/usr/sbin/runc";

const DPKG_STATUS = `Package: base-files
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u5

Package: tar
Status: install ok installed
Priority: required
Architecture: amd64
Version: 1.34+dfsg-1.2

Package: libc6
Status: install ok installed
Priority: optional
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
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;

const pkg = (name: string, version: string) => JSON.stringify({ name, version, license: "MIT" });

const DOCKERFILE = `FROM busybox:latest
COPY rootfs/ /
COPY app/ /app/
RUN rm -rf /app/node_modules/moment
COPY runc /usr/local/bin/runc
`;

/** tar: both bookworm records fixed in 1.34+dfsg-1.2+deb12u1 (tar's records). */
const TAR = ["CVE-2022-48303", "CVE-2023-39804"];
/** glibc records whose fix is after +deb12u3 (u4 and later); u1-u3 fixes are in 2.36-9+deb12u3. */
const GLIBC = [
  "CVE-2023-6246",
  "CVE-2023-6779",
  "CVE-2023-6780",
  "CVE-2024-2961",
  "CVE-2024-33599",
  "CVE-2024-33600",
  "CVE-2024-33601",
  "CVE-2024-33602",
  "CVE-2025-0395",
  "CVE-2025-15281",
  "CVE-2025-4802",
  "CVE-2025-8058",
  "CVE-2026-0861",
  "CVE-2026-0915",
  "CVE-2026-4046",
  "CVE-2026-4437",
  "CVE-2026-4438",
];
/** lodash < 4.17.21 (GHSA-35jh-r3h4-6jhm); 4.17.20 is past the fixes of CVE-2019-10744 and CVE-2020-8203. */
const LODASH = ["CVE-2021-23337"];
/** semver 7.0.0 <= v < 7.5.2 (GHSA-c2qf-rxjj-qqgw). */
const SEMVER = ["CVE-2022-25883"];
/** Go's stdlib records whose fix on the 1.19 line is after 1.19.8 (or that fix only later lines). */
const STDLIB = [
  "CVE-2023-24539", // GO-2023-1751, fixed 1.19.9
  "CVE-2023-29406", // GO-2023-1878, fixed 1.19.11
];

// Made here, not in a hook: tempDir registers their removal with the test runner.
const store = tempDir("wharf-scan-store-");
// Started at top level: its after hook stops it when the file ends.
const distribution = await startDistribution();
const db = join(store, "scan", "osv.db");
const ctx = contextDir({
  Dockerfile: DOCKERFILE,
  "rootfs/etc/os-release": OS_RELEASE,
  "rootfs/var/lib/dpkg/status": DPKG_STATUS,
  "app/node_modules/lodash/package.json": pkg("lodash", "4.17.20"),
  "app/node_modules/semver/package.json": pkg("semver", "7.5.1"),
  "app/node_modules/moment/package.json": pkg("moment", "2.29.1"),
  "app/package.json": JSON.stringify({ name: "app", private: true }),
});
copyFileSync(RUNC, join(ctx, "runc"));

before(async () => {
  await ok(wharfIn(store, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
  await ok(wharfIn(store, ["build", "-q", "-t", "vulnerable:1", ctx]));
});

describe("wharf scan db", () => {
  test("a scan without a database says so and how to get one", async () => {
    const r = await wharfIn(store, ["scan", "vulnerable:1"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no vulnerability database at .*osv\.db: import one with `wharf scan db import PATH`/,
    );
    assert.equal(r.stdout, "");
  });

  test("import: the records folder, then osv-scanner's zips (the same records: nothing new)", async () => {
    const folder = await ok(wharfIn(store, ["scan", "db", "import", join(OSV, "records")]));
    const count = readdirSync(join(OSV, "records"), { recursive: true }).filter((f) =>
      String(f).endsWith(".json"),
    ).length;
    assert.match(folder.stdout, new RegExp(`: ${count} records \\(${count} new, 0 updated, 0 unchanged\\)`));
    const zips = await ok(wharfIn(store, ["scan", "db", "import", join(OSV, "osv-scanner")]));
    assert.match(zips.stdout, new RegExp(`: ${count} records \\(0 new, 0 updated, ${count} unchanged\\)`));
    assert.ok(existsSync(db));
  });

  test("status: the ecosystems and their releases", async () => {
    const r = await ok(wharfIn(store, ["scan", "db", "status"]));
    assert.match(r.stdout, /^Records: +\d+ \(0 withdrawn\)$/m);
    // DSA-3029-1 is a Debian 7 record; the 77 derived ones are bookworm's.
    assert.match(r.stdout, /^Debian +78 +0 +12 \(77\), 7 \(1\)$/m);
    assert.match(r.stdout, /^npm +16 +0 +-$/m);
  });
});

describe("wharf scan IMAGE", () => {
  test("--format json: trivy's shape, each finding as checked against its record", async () => {
    const r = await ok(wharfIn(store, ["scan", "--format", "json", "vulnerable:1"]));
    const report = JSON.parse(r.stdout);
    assert.equal(report.SchemaVersion, 2);
    assert.equal(report.ArtifactName, "vulnerable:1");
    assert.deepEqual(report.Metadata.OS, { Family: "debian", Name: "12" });
    const byTarget = new Map<string, { VulnerabilityID: string; PkgName: string }[]>(
      report.Results.map((res: { Target: string; Vulnerabilities?: [] }) => [
        res.Target,
        res.Vulnerabilities ?? [],
      ]),
    );
    const ids = (target: string, pkgName: string) =>
      (byTarget.get(target) ?? [])
        .filter((v) => v.PkgName === pkgName)
        .map((v) => v.VulnerabilityID)
        .sort();
    const os = "vulnerable:1 (debian 12)";
    assert.deepEqual(ids(os, "tar"), TAR);
    assert.deepEqual(ids(os, "libc6"), [...GLIBC].sort());
    assert.deepEqual(ids(os, "base-files"), []);
    assert.deepEqual(ids("Node.js", "lodash"), LODASH);
    assert.deepEqual(ids("Node.js", "semver"), SEMVER);
    assert.deepEqual(ids("Node.js", "moment"), [], "moment was deleted by a later layer");
    for (const id of STDLIB)
      assert.ok(ids("usr/local/bin/runc", "stdlib").includes(id), `${id} in runc's stdlib`);
    assert.ok(
      !ids("usr/local/bin/runc", "stdlib").includes("CVE-2022-41717"),
      "GO-2022-1144 is fixed in 1.19.4",
    );

    const tar = (byTarget.get(os) ?? []).find(
      (v) => v.VulnerabilityID === "CVE-2022-48303",
    ) as unknown as Record<string, unknown>;
    assert.equal(tar.InstalledVersion, "1.34+dfsg-1.2");
    assert.equal(tar.FixedVersion, "1.34+dfsg-1.2+deb12u1");
    assert.equal(tar.Status, "fixed");
    assert.match(
      String((tar.PkgIdentifier as { PURL: string }).PURL),
      /^pkg:deb\/debian\/tar@1\.34%2Bdfsg-1\.2\?/,
    );
    const lodash = (byTarget.get("Node.js") ?? [])[0] as unknown as Record<string, unknown>;
    assert.equal(lodash.Severity, "HIGH", "GHSA-35jh-r3h4-6jhm: CVSS:3.1 7.2");
    assert.equal(lodash.FixedVersion, "4.17.21");
  });

  test("the table: per target, totals by severity", async () => {
    const r = await ok(wharfIn(store, ["scan", "vulnerable:1"]));
    assert.match(
      r.stdout,
      /^vulnerable:1 \(debian 12\)\n=+\nTotal: 19 \(UNKNOWN: 19, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0\)$/m,
    );
    assert.match(r.stdout, /^Node\.js\n=======\nTotal: 2 /m);
    assert.match(r.stdout, /│ lodash +│ CVE-2021-23337 +│ HIGH +│ fixed +│ 4\.17\.20 +│ 4\.17\.21 +│/);
  });

  test("--severity, --ignore-unfixed and --exit-code", async () => {
    const high = await ok(
      wharfIn(store, ["scan", "--format", "json", "--severity", "HIGH,CRITICAL", "vulnerable:1"]),
    );
    const severities = JSON.parse(high.stdout).Results.flatMap(
      (res: { Vulnerabilities?: { Severity: string }[] }) =>
        (res.Vulnerabilities ?? []).map((v) => v.Severity),
    );
    assert.ok(severities.length > 0);
    assert.ok(severities.every((s: string) => s === "HIGH" || s === "CRITICAL"));
    const failed = await wharfIn(store, [
      "scan",
      "--exit-code",
      "3",
      "--severity",
      "CRITICAL",
      "vulnerable:1",
    ]);
    const criticals = await wharfIn(store, [
      "scan",
      "--format",
      "json",
      "--severity",
      "CRITICAL",
      "vulnerable:1",
    ]);
    const anyCritical = JSON.parse(criticals.stdout).Results.some(
      (res: { Vulnerabilities?: [] }) => res.Vulnerabilities,
    );
    assert.equal(failed.code, anyCritical ? 3 : 0);
    const bad = await wharfIn(store, ["scan", "--severity", "SEVERE", "vulnerable:1"]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid --severity "SEVERE"/);
  });

  test("an OCI layout, a docker-archive and a registry's copy of the image scan alike", async () => {
    const dir = tempDir("wharf-scan-out-");
    await ok(wharfIn(store, ["copy", "-q", "wharf:vulnerable:1", `oci:${join(dir, "layout")}:v1`]));
    await ok(wharfIn(store, ["save", "-o", join(dir, "image.tar"), "vulnerable:1"]));
    // Pushed compressed (the built layers are plain tars in the store): other blobs, the same files.
    await ok(wharfIn(store, ["tag", "vulnerable:1", `${distribution.host}/vulnerable:1`]));
    await ok(wharfIn(store, ["push", "-q", `${distribution.host}/vulnerable:1`]));
    const fromStore = await ok(wharfIn(store, ["scan", "--format", "json", "vulnerable:1"]));
    const vulns = (out: string) =>
      JSON.parse(out)
        .Results.flatMap((res: { Vulnerabilities?: { VulnerabilityID: string; PkgName: string }[] }) =>
          (res.Vulnerabilities ?? []).map((v) => `${v.PkgName} ${v.VulnerabilityID}`),
        )
        .sort();
    for (const name of [
      `oci:${join(dir, "layout")}:v1`,
      `docker-archive:${join(dir, "image.tar")}`,
      `docker://${distribution.host}/vulnerable:1`,
    ]) {
      const r = await ok(wharfIn(store, ["scan", "--format", "json", name]));
      assert.deepEqual(vulns(r.stdout), vulns(fromStore.stdout), name);
    }
  });

  test("a second scan reads no layer: with the layout's layer blobs gone, it finds the same", async () => {
    const dir = tempDir("wharf-scan-cached-");
    const layout = join(dir, "layout");
    await ok(wharfIn(store, ["copy", "-q", "wharf:vulnerable:1", `oci:${layout}:v1`]));
    const first = await ok(wharfIn(store, ["scan", "--format", "json", `oci:${layout}:v1`]));
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    const manifestHex = index.manifests[0].digest.slice("sha256:".length);
    const manifest = JSON.parse(readFileSync(join(layout, "blobs", "sha256", manifestHex), "utf8"));
    for (const layer of manifest.layers) rmSync(join(layout, "blobs", "sha256", layer.digest.slice(7)));
    const second = await ok(wharfIn(store, ["scan", "--format", "json", `oci:${layout}:v1`]));
    const results = (out: string) => JSON.parse(out).Results;
    assert.deepEqual(results(second.stdout), results(first.stdout));
    assert.ok(results(first.stdout).length >= 3);
  });
});

describe("wharf scan outputs and filters", () => {
  type Vuln = { VulnerabilityID: string; PkgName: string };
  const jsonVulns = (out: string): string[] =>
    JSON.parse(out)
      .Results.flatMap((res: { Vulnerabilities?: Vuln[] }) =>
        (res.Vulnerabilities ?? []).map((v) => `${v.PkgName} ${v.VulnerabilityID}`),
      )
      .sort();
  /** A usage error: exit 125, the message on the first line of stderr. */
  const usage = async (args: string[], message: RegExp) => {
    const r = await wharfIn(store, ["scan", ...args, "vulnerable:1"]);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr.split("\n")[0] ?? "", message);
    assert.equal(r.stdout, "");
  };

  test("--format sarif: one result per finding, at the package's file, with one rule per ID", async () => {
    const json = jsonVulns((await ok(wharfIn(store, ["scan", "--format", "json", "vulnerable:1"]))).stdout);
    const r = await ok(wharfIn(store, ["scan", "--format", "sarif", "vulnerable:1"]));
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.version, "2.1.0");
    const [run] = sarif.runs;
    assert.equal(run.tool.driver.name, "wharf");
    type Result = {
      ruleId: string;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    };
    const results: Result[] = run.results;
    assert.equal(results.length, json.length);
    const ids = new Set(results.map((res) => res.ruleId));
    assert.deepEqual(run.tool.driver.rules.map((rule: { id: string }) => rule.id).sort(), [...ids].sort());
    const uri = (res: Result) => res.locations[0]?.physicalLocation.artifactLocation.uri;
    const lodash = results.find((res) => res.ruleId === "CVE-2021-23337")!;
    assert.equal(lodash.level, "error", "HIGH");
    assert.equal(uri(lodash), "app/node_modules/lodash/package.json");
    assert.match(
      lodash.message.text,
      /^Package: lodash\nInstalled Version: 4\.17\.20\n.*\nFixed Version: 4\.17\.21\n/s,
    );
    const tar = results.find((res) => res.ruleId === "CVE-2022-48303")!;
    assert.equal([tar.level, uri(tar)].join(" "), "note var/lib/dpkg/status");
    assert.ok(
      results.some((res) => uri(res) === "usr/local/bin/runc"),
      "runc's stdlib",
    );
  });

  test("--format template: inline, @FILE and --format '{{...}}', on trivy's Results", async () => {
    const inline =
      '{{ range . }}{{ $t := .Target }}{{ range .Vulnerabilities }}{{ $t }}|{{ .PkgName }}|{{ .VulnerabilityID }}|{{ .Severity }}|{{ .PkgIdentifier.PURL }}{{ "\\n" }}{{ end }}{{ end }}';
    const r = await ok(
      wharfIn(store, ["scan", "--format", "template", "--template", inline, "vulnerable:1"]),
    );
    assert.match(r.stdout, /^Node\.js\|lodash\|CVE-2021-23337\|HIGH\|pkg:npm\/lodash@4\.17\.20$/m);
    assert.match(
      r.stdout,
      /^vulnerable:1 \(debian 12\)\|tar\|CVE-2022-48303\|UNKNOWN\|pkg:deb\/debian\/tar@/m,
    );
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => {
        const [, name, id] = l.split("|");
        return `${name} ${id}`;
      });
    const json = jsonVulns((await ok(wharfIn(store, ["scan", "--format", "json", "vulnerable:1"]))).stdout);
    assert.deepEqual(lines.sort(), json, "the same findings as the JSON report");
    // A trivy-style template from a file: the embedded Vulnerability's fields and trivy's escapeXML.
    const file = join(tempDir("wharf-scan-tpl-"), "junit.tpl");
    writeFileSync(
      file,
      `{{- range . -}}{{- range .Vulnerabilities }}{{ if eq .PkgName "lodash" }}<case name="{{ escapeXML .Vulnerability.Title }}" fixed="{{ .FixedVersion }}" source="{{ .DataSource.Name }}"/>{{ end }}{{ end }}{{ end }}`,
    );
    const fromFile = await ok(
      wharfIn(store, ["scan", "--format", "template", "--template", `@${file}`, "vulnerable:1"]),
    );
    assert.equal(fromFile.stdout, '<case name="Command Injection in lodash" fixed="4.17.21" source="OSV"/>');
    const short = await ok(
      wharfIn(store, ["scan", "--format", "{{ len . }} {{ (index . 0).Class }}", "vulnerable:1"]),
    );
    assert.match(short.stdout, /^[3-9] os-pkgs$/);
  });

  test("--format cyclonedx (with the findings) and spdx-json (without: no database needed)", async () => {
    const cdx = JSON.parse(
      (await ok(wharfIn(store, ["scan", "--format", "cyclonedx", "vulnerable:1"]))).stdout,
    );
    assert.equal(cdx.bomFormat, "CycloneDX");
    assert.ok(cdx.vulnerabilities.some((v: { id: string }) => v.id === "CVE-2021-23337"));
    const none = join(tempDir("wharf-scan-nodb-"), "osv.db");
    const spdx = JSON.parse(
      (await ok(wharfIn(store, ["scan", "--format", "spdx-json", "--db", none, "vulnerable:1"]))).stdout,
    );
    assert.equal(spdx.spdxVersion, "SPDX-2.3");
    assert.ok(spdx.packages.some((p: { name: string }) => p.name === "lodash"));
  });

  test("--vex: not_affected and fixed statements hide findings; under_investigation does not", async () => {
    const file = join(tempDir("wharf-scan-vex-"), "app.openvex.json");
    const statement = (name: string, products: object[], status: string) => ({
      vulnerability: { name },
      products,
      status,
    });
    writeFileSync(
      file,
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/vulnerable-1",
        author: "wharf tests",
        timestamp: "2024-05-01T00:00:00Z",
        version: 1,
        statements: [
          // lodash's record ID; the finding reports its CVE.
          {
            ...statement("GHSA-35jh-r3h4-6jhm", [{ "@id": "pkg:npm/lodash@4.17.20" }], "not_affected"),
            justification: "vulnerable_code_not_in_execute_path",
          },
          // The image, with Debian's tar as the subcomponent.
          statement(
            "CVE-2022-48303",
            [{ "@id": "pkg:oci/vulnerable", subcomponents: [{ "@id": "pkg:deb/debian/tar" }] }],
            "fixed",
          ),
          statement("CVE-2022-25883", [{ "@id": "pkg:npm/semver" }], "under_investigation"),
        ],
      }),
    );
    const before = jsonVulns((await ok(wharfIn(store, ["scan", "--format", "json", "vulnerable:1"]))).stdout);
    const after = jsonVulns(
      (await ok(wharfIn(store, ["scan", "--format", "json", "--vex", file, "vulnerable:1"]))).stdout,
    );
    assert.deepEqual(
      before.filter((v) => !after.includes(v)),
      ["lodash CVE-2021-23337", "tar CVE-2022-48303"],
    );
    assert.ok(after.includes("semver CVE-2022-25883") && after.includes("tar CVE-2023-39804"));
    // The Node.js WG's document is about pkg:nodejs/node, which this image does not have.
    const nodeVex = join(OSV, "vex", "nodejs-security-wg-node.openvex.json");
    const withNode = await ok(
      wharfIn(store, ["scan", "--format", "json", "--vex", nodeVex, "--vex", file, "vulnerable:1"]),
    );
    assert.deepEqual(jsonVulns(withNode.stdout), after);
  });

  test("--only-fixed is --ignore-unfixed", async () => {
    const results = async (flag: string) =>
      jsonVulns((await ok(wharfIn(store, ["scan", "--format", "json", flag, "vulnerable:1"]))).stdout);
    const onlyFixed = await results("--only-fixed");
    assert.ok(onlyFixed.length > 0);
    assert.deepEqual(onlyFixed, await results("--ignore-unfixed"));
    const help = await ok(wharfIn(store, ["scan", "--help"]));
    assert.match(help.stdout, /--only-fixed +Alias of --ignore-unfixed/);
  });

  test("bad --format, --template and --vex values are one-line usage errors", async () => {
    const dir = tempDir("wharf-scan-bad-");
    writeFileSync(join(dir, "cdx.json"), JSON.stringify({ bomFormat: "CycloneDX", vulnerabilities: [] }));
    await usage(
      ["--format", "xml"],
      /^unknown format "xml": table, json, sarif, cyclonedx, spdx-json, template, or a Go template$/,
    );
    await usage(["--format", "template"], /^--format template needs --template/);
    await usage(["--template", "{{ . }}"], /^--template needs --format template \(not "table"\)$/);
    await usage(
      ["--format", "{{ .Target"],
      /^invalid template: template: output template:1: unclosed action$/,
    );
    await usage(
      ["--format", "template", "--template", `@${join(dir, "none.tpl")}`],
      /^invalid --template "@.*none\.tpl": open .*none\.tpl: no such file or directory$/,
    );
    await usage(
      ["--vex", join(dir, "none.json")],
      /^invalid --vex ".*none\.json": open .*: no such file or directory$/,
    );
    await usage(["--vex", join(dir, "cdx.json")], /^invalid --vex ".*cdx\.json": not an OpenVEX document/);
    // A template that fails on the data is the scan's failure (exit 1), not a usage error.
    const r = await wharfIn(store, ["scan", "--format", "{{ range . }}{{ .Nope }}{{ end }}", "vulnerable:1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /can't evaluate field Nope in type types\.Result/);
  });
});
