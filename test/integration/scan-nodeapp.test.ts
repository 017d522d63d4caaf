/**
 * `wharf scan` and `wharf sbom` of a real image: the nodeapp fixture (Debian bookworm minbase, node
 * and npm, an app with ~11k files of node_modules; built once by ../shared/fixtures/make-nodeapp.sh
 * into a cache shared with the benchmarks). What the scanner reports is compared with what the
 * layer tars hold, read with GNU tar, and its verdicts with Debian's own dpkg: for every Debian
 * record naming a source package of the image, `dpkg --compare-versions` says whether the installed
 * version is below the fix, and the scan reports exactly those.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { ensureNodeapp } from "../helpers/nodeapp.ts";
import { tempDir } from "../helpers/tmp.ts";

const OSV = new URL("../../../shared/fixtures/osv/", import.meta.url).pathname;
const store = tempDir("wharf-scan-nodeapp-");
const { layout } = ensureNodeapp();

/** The layout's layer blobs, base first. */
function layerBlobs(): string[] {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const manifest = JSON.parse(
    readFileSync(join(layout, "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8"),
  );
  return manifest.layers.map((l: { digest: string }) => join(layout, "blobs", "sha256", l.digest.slice(7)));
}

/** One file of a gzip layer tar, by GNU tar. */
function tarFile(blob: string, path: string): string {
  return execFileSync("tar", ["-xzOf", blob, path], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** dpkg status stanzas that are installed: [package, source name, source version]. */
function installedSources(status: string): { name: string; source: string; version: string }[] {
  return status
    .split(/\n\n+/)
    .filter((s) => /^Status: install ok installed$/m.test(s))
    .map((s) => {
      const field = (k: string) => new RegExp(`^${k}: (.*)$`, "m").exec(s)?.[1];
      const version = field("Version")!;
      const source = /^(\S+)(?: \((.*)\))?$/.exec(field("Source") ?? field("Package")!)!;
      return { name: field("Package")!, source: source[1]!, version: source[2] ?? version };
    });
}

let report: {
  Metadata: { OS: unknown };
  Results: { Target: string; Vulnerabilities?: { PkgName: string; VulnerabilityID: string }[] }[];
};
let sbom: {
  components: { type: string; purl?: string; name: string; properties?: { name: string; value: string }[] }[];
};

before(async () => {
  await ok(wharfIn(store, ["copy", "-q", `oci:${layout}:latest`, "wharf:nodeapp:latest"]));
  await ok(wharfIn(store, ["scan", "db", "import", join(OSV, "osv-scanner")]));
  report = JSON.parse((await ok(wharfIn(store, ["scan", "--format", "json", "nodeapp:latest"]))).stdout);
  sbom = JSON.parse((await ok(wharfIn(store, ["sbom", "nodeapp:latest"]))).stdout);
});

test("the OS and every installed dpkg package of the base layer", () => {
  assert.deepEqual(report.Metadata.OS, { Family: "debian", Name: "12" });
  const status = tarFile(layerBlobs()[0]!, "var/lib/dpkg/status");
  const installed = installedSources(status).map((p) => p.name);
  const debs = sbom.components.filter((c) => c.purl?.startsWith("pkg:deb/debian/")).map((c) => c.name);
  assert.ok(installed.length > 80, `a minbase has ~90 packages: ${installed.length}`);
  assert.deepEqual([...new Set(debs)].sort(), [...new Set(installed)].sort());
});

test("npm packages: every node_modules/NAME/package.json with a name and a version, as extracted by tar", () => {
  const [, second, third] = layerBlobs();
  const root = tempDir("wharf-scan-nodeapp-tree-");
  for (const blob of [second!, third!])
    execFileSync("tar", ["-xzf", blob, "-C", root, "--wildcards", "*package.json"]);
  const canonical = /(^|\/)node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/;
  const expected = readdirSync(root, { recursive: true })
    .map(String)
    .filter((p) => canonical.test(p))
    .filter((p) => {
      const manifest = JSON.parse(readFileSync(join(root, p), "utf8"));
      return typeof manifest.name === "string" && typeof manifest.version === "string";
    })
    .map((p) => `/${p}`)
    .sort();
  const paths = sbom.components
    .filter((c) => c.purl?.startsWith("pkg:npm/"))
    .map((c) => c.properties?.find((p) => p.name === "syft:location:0:path")?.value ?? "")
    .filter((p) => canonical.test(p))
    .sort();
  assert.ok(expected.length > 300, `the app's and npm's node_modules: ${expected.length}`);
  assert.deepEqual(paths, expected);
  const npmVersion = JSON.parse(
    readFileSync(join(root, "usr/lib/node_modules/npm/package.json"), "utf8"),
  ).version;
  assert.ok(
    sbom.components.some((c) => c.purl === `pkg:npm/npm@${npmVersion}`),
    `npm ${npmVersion} itself`,
  );
});

test("Debian findings are exactly the records whose fix dpkg orders after the installed version", () => {
  const status = tarFile(layerBlobs()[0]!, "var/lib/dpkg/status");
  const installed = installedSources(status);
  const bySource = new Map(installed.map((p) => [p.source, p]));
  const sourceOf = new Map(installed.map((p) => [p.name, p.source]));
  const expected: string[] = [];
  const recordsDir = join(OSV, "records", "Debian");
  for (const file of execFileSync("ls", [recordsDir], { encoding: "utf8" }).trim().split("\n")) {
    const record = JSON.parse(readFileSync(join(recordsDir, file), "utf8"));
    for (const a of record.affected) {
      const pkg = bySource.get(a.package.name);
      if (!pkg || a.package.ecosystem !== "Debian:12") continue;
      const fixed = a.ranges
        .flatMap((r: { events: { fixed?: string }[] }) => r.events)
        .find((e: { fixed?: string }) => e.fixed)?.fixed;
      const below =
        fixed &&
        execFileSync(
          "sh",
          ["-c", `dpkg --compare-versions '${pkg.version}' lt '${fixed}' && echo y || true`],
          { encoding: "utf8" },
        ).trim() === "y";
      if (below) expected.push(`${pkg.source} ${record.id}`);
    }
  }
  const os = report.Results.find((r) => r.Target.startsWith("nodeapp:latest (debian"));
  assert.ok(os, "the OS target");
  const found = (os.Vulnerabilities ?? []).map(
    (v) => `${sourceOf.get(v.PkgName) ?? v.PkgName} DEBIAN-${v.VulnerabilityID}`,
  );
  assert.deepEqual([...new Set(found)].sort(), [...new Set(expected)].sort());
});
