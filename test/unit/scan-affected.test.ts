/**
 * The OSV "is this version affected" evaluation (src/scan/osv/affected.ts) against real records of
 * ../shared/fixtures/osv/records (Go, npm, Debian, Alpine): versions just below, at and above
 * their introduced and fixed events. The fixtures have no `versions[]` lists, `last_affected`,
 * `limit` or GIT ranges, so those cases take a real entry and change only the part under test,
 * or use the OSV schema's own examples.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  evaluateAffected,
  fixedVersions,
  isAffected,
  type OsvAffected,
} from "../../src/scan/osv/affected.ts";
import { FIXTURES_DIR } from "../corpus.ts";

interface OsvRecord {
  id: string;
  affected: (OsvAffected & { package: { ecosystem: string; name: string } })[];
}

function readRecord(ecosystemDir: string, id: string): OsvRecord {
  const path = `${FIXTURES_DIR}osv/records/${ecosystemDir}/${id}.json`;
  const record = JSON.parse(readFileSync(path, "utf8")) as OsvRecord;
  assert.equal(record.id, id);
  return record;
}

/** The record's affected entry for a package name (the first, or the one at `index` of several). */
function entryFor(
  record: OsvRecord,
  name: string,
  index = 0,
): OsvAffected & { package: { ecosystem: string } } {
  const entries = record.affected.filter((a) => a.package.name === name);
  const entry = entries[index];
  assert.ok(entry, `${record.id} has no affected entry ${index} for ${name}`);
  return entry;
}

/** Each version with whether it is affected and the fixed versions reported for it. */
function assertVerdicts(
  entry: OsvAffected & { package: { ecosystem: string } },
  cases: readonly [version: string, affected: boolean, fixed: readonly string[]][],
  ecosystem = entry.package.ecosystem,
): void {
  for (const [version, affected, fixed] of cases) {
    assert.deepEqual(
      evaluateAffected(entry, version, ecosystem),
      { affected, fixedVersions: fixed },
      `${entry.package.ecosystem} ${version}`,
    );
  }
}

describe("real OSV records", () => {
  it("Go stdlib (GO-2023-1878): two SEMVER stretches, introduced 0 and 1.20.0-0", () => {
    const entry = entryFor(readRecord("Go", "GO-2023-1878"), "stdlib");
    assertVerdicts(entry, [
      ["1.0.0", true, ["1.19.11"]],
      ["1.19.10", true, ["1.19.11"]],
      ["1.19.11", false, []],
      ["1.19.12", false, []],
      ["1.20.0-0", true, ["1.20.6"]],
      ["1.20.0-rc.1", true, ["1.20.6"]],
      ["1.20.5", true, ["1.20.6"]],
      ["1.20.6", false, []],
      ["1.21.0", false, []],
    ]);
  });

  it("a Go module (GO-2021-0072) at its v-prefixed, +incompatible versions", () => {
    const entry = entryFor(readRecord("Go", "GO-2021-0072"), "github.com/docker/distribution");
    assertVerdicts(entry, [
      ["v2.6.2+incompatible", true, ["2.7.0-rc.0+incompatible"]],
      ["v2.7.0-beta.1+incompatible", true, ["2.7.0-rc.0+incompatible"]],
      ["v2.7.0-rc.0+incompatible", false, []],
      ["v2.7.1+incompatible", false, []],
    ]);
  });

  it("npm (GHSA-9wv6-86v2-598j): one entry per stretch, each evaluated alone", () => {
    const record = readRecord("npm", "GHSA-9wv6-86v2-598j");
    const stretch = entryFor(record, "path-to-regexp", 1);
    assertVerdicts(stretch, [
      ["0.1.12", false, []],
      ["0.2.0", true, ["1.9.0"]],
      ["1.8.0", true, ["1.9.0"]],
      ["1.9.0-beta.1", true, ["1.9.0"]],
      ["1.9.0", false, []],
      ["6.2.2", false, []],
    ]);
    const hits = record.affected.filter((entry) => isAffected(entry, "6.2.2", "npm"));
    assert.deepEqual(
      hits.map((entry) => fixedVersions(entry, "6.2.2", "npm")),
      [["6.3.0"]],
    );
    assert.deepEqual(
      record.affected.filter((entry) => isAffected(entry, "8.0.0", "npm")),
      [],
    );
  });

  it("Debian (DEBIAN-CVE-2023-4911, glibc in Debian:12) in dpkg order", () => {
    const entry = entryFor(readRecord("Debian", "DEBIAN-CVE-2023-4911"), "glibc");
    assertVerdicts(entry, [
      ["2.31-13+deb11u5", true, ["2.36-9+deb12u3"]],
      ["2.36-9+deb12u2", true, ["2.36-9+deb12u3"]],
      ["2.36-9+deb12u3~bpo1", true, ["2.36-9+deb12u3"]],
      ["2.36-9+deb12u3", false, []],
      ["0:2.36-9+deb12u3", false, []],
      ["2.36-9+deb12u4", false, []],
      ["2.37-1", false, []],
    ]);
  });

  it("Debian (DSA-3029-1, nginx in Debian:7)", () => {
    const entry = entryFor(readRecord("Debian", "DSA-3029-1"), "nginx");
    assertVerdicts(entry, [
      ["1.2.1-2.2+wheezy2", true, ["1.2.1-2.2+wheezy3"]],
      ["1.2.1-2.2+wheezy3", false, []],
      ["1.2.1-2.2+wheezy4", false, []],
    ]);
  });

  it("Alpine (ALPINE-CVE-2019-14697, musl in Alpine:v3.10) in apk order", () => {
    const entry = entryFor(readRecord("Alpine", "ALPINE-CVE-2019-14697"), "musl");
    assertVerdicts(entry, [
      ["1.1.22-r2", true, ["1.1.22-r3"]],
      ["1.1.22_rc1-r9", true, ["1.1.22-r3"]],
      ["1.1.22-r3", false, []],
      ["1.1.22-r10", false, []],
      ["1.1.23-r0", false, []],
    ]);
  });

  it("skips an ECOSYSTEM range whose order is unknown (the NuGet entry of GHSA-8hfj-j24r-96c4)", () => {
    const record = readRecord("npm", "GHSA-8hfj-j24r-96c4");
    const nuget = record.affected.find((a) => a.package.ecosystem === "NuGet");
    assert.ok(nuget);
    assert.equal(isAffected(nuget, "2.29.1", "NuGet"), false);
    assert.equal(isAffected(entryFor(record, "moment"), "2.29.1", "npm"), true);
  });
});

describe("the parts of the evaluation the fixtures do not exercise", () => {
  const musl = entryFor(readRecord("Alpine", "ALPINE-CVE-2019-14697"), "musl");

  it("matches a version listed in versions[], by text or by the ecosystem's order", () => {
    const listed: OsvAffected = { package: musl.package, versions: ["1.1.24-r0", "1.1.24-r2"] };
    assert.equal(isAffected(listed, "1.1.24-r0", "Alpine:v3.10"), true);
    assert.equal(isAffected(listed, "1.1.24-r1", "Alpine:v3.10"), false);
    assert.deepEqual(fixedVersions(listed, "1.1.24-r0", "Alpine:v3.10"), []);
    const dpkg: OsvAffected = { versions: ["1:2.0-1", "not a dpkg version:"] };
    assert.equal(isAffected(dpkg, "01:2.0-1", "Debian"), true);
    assert.equal(isAffected(dpkg, "not a dpkg version:", "Debian"), true);
    // Either part suffices: listed but outside the range, or in the range but not listed.
    const both: OsvAffected = { ...musl, versions: ["1.1.24-r0"] };
    assert.equal(isAffected(both, "1.1.24-r0", "Alpine:v3.10"), true);
    assert.equal(isAffected(both, "1.1.20-r0", "Alpine:v3.10"), true);
  });

  it("sorts the events first, so their order in the record does not matter", () => {
    const stdlib = entryFor(readRecord("Go", "GO-2023-1878"), "stdlib");
    const shuffled: OsvAffected = {
      ranges: stdlib.ranges?.map((range) => ({ ...range, events: [...range.events].reverse() })),
    };
    for (const version of ["1.19.10", "1.19.11", "1.20.0-0", "1.20.5", "1.20.6"]) {
      assert.deepEqual(
        evaluateAffected(shuffled, version, "Go"),
        evaluateAffected(stdlib, version, "Go"),
        version,
      );
    }
  });

  it("treats last_affected as inclusive, with no fixed version to report", () => {
    const entry: OsvAffected = {
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.0.0" }, { last_affected: "2.1.214" }] }],
    };
    assertVerdicts(
      { ...entry, package: { ecosystem: "npm" } } as OsvAffected & { package: { ecosystem: string } },
      [
        ["0.9.0", false, []],
        ["1.0.0", true, []],
        ["2.1.214", true, []],
        ["2.1.215", false, []],
      ],
    );
  });

  it("keeps versions at or above every limit out; a limit with * is infinity", () => {
    const limited: OsvAffected = {
      ranges: [{ type: "SEMVER", events: [{ introduced: "1.0.0" }, { limit: "1.5.0" }] }],
    };
    assert.equal(isAffected(limited, "1.4.9", "npm"), true);
    assert.equal(isAffected(limited, "1.5.0", "npm"), false);
    const open: OsvAffected = {
      ranges: [{ type: "SEMVER", events: [{ introduced: "1.0.0" }, { limit: "*" }] }],
    };
    assert.equal(isAffected(open, "99.0.0", "npm"), true);
  });

  it("ignores GIT ranges and range types it does not know", () => {
    const git: OsvAffected = {
      ranges: [
        { type: "GIT", events: [{ introduced: "0" }, { fixed: "0f4e2b6c2e7a1d3c4b5a69788796a5b4c3d2e1f0" }] },
        { type: "CALVER", events: [{ introduced: "0" }] },
      ],
    };
    assert.equal(isAffected(git, "1.0.0", "npm"), false);
  });

  it("uses SemVer for SEMVER ranges whatever the ecosystem's own order", () => {
    // In PEP 440 1.0.0-1 is the post-release 1.0.0.post1, after 1.0.0; in SemVer it is a pre-release before it.
    const range: OsvAffected = {
      ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.0.0" }] }],
    };
    const ecosystem: OsvAffected = { ranges: [{ type: "ECOSYSTEM", events: range.ranges![0]!.events }] };
    assert.equal(isAffected(range, "1.0.0-1", "PyPI"), true);
    assert.equal(isAffected(ecosystem, "1.0.0-1", "PyPI"), false);
  });

  it("reports each containing range's closing fix once, in version order", () => {
    const entry: OsvAffected = {
      ranges: [
        { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.0.0" }] },
        { type: "ECOSYSTEM", events: [{ introduced: "1.0.0" }, { fixed: "1.10.0" }] },
        {
          type: "SEMVER",
          events: [{ introduced: "0" }, { fixed: "1.10.0" }, { introduced: "3.0.0" }, { fixed: "3.1.0" }],
        },
      ],
    };
    assert.deepEqual(fixedVersions(entry, "1.5.0", "npm"), ["1.10.0", "2.0.0"]);
    assert.deepEqual(fixedVersions(entry, "3.0.5", "npm"), ["3.1.0"]);
  });

  it("throws VERSION_INVALID for a version the order cannot read", () => {
    const glibc = entryFor(readRecord("Debian", "DEBIAN-CVE-2023-4911"), "glibc");
    assert.throws(
      () => isAffected(glibc, "2.36-", "Debian:12"),
      (err) => isWharfError(err, "VERSION_INVALID"),
    );
  });
});
