import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isWharfError } from "../../src/errors.ts";
import { parseOsvRecord, timeMs } from "../../src/scan/db/osv-parse.ts";
import type { OsvRecord } from "../../src/scan/db/osv-record.ts";
import { affectedFor, packageKeysOf, packageNameKey, splitEcosystem } from "../../src/scan/db/package-key.ts";

const RECORDS = fileURLToPath(new URL("../../../shared/fixtures/osv/records/", import.meta.url));
const lodashPath = join(RECORDS, "npm", "GHSA-35jh-r3h4-6jhm.json");
const lodash = JSON.parse(readFileSync(lodashPath, "utf8")) as RawRecord;

/** A record file's JSON as read (the fields these tests change). */
interface RawRecord {
  [field: string]: unknown;
  severity: { type: string; score: string }[];
  affected: RawAffected[];
}
interface RawAffected {
  package?: { ecosystem?: string; name?: string };
  ranges?: { type: string; repo?: string; events: Record<string, unknown>[] }[];
  versions?: string[];
}

/** The lodash record with one change (a function of a deep copy). */
function variant(change: (r: RawRecord) => void): string {
  const copy = structuredClone(lodash);
  change(copy);
  return JSON.stringify(copy);
}

function problem(text: string): string {
  try {
    parseOsvRecord(text, "x.json");
  } catch (err) {
    assert.ok(isWharfError(err, "SCAN_IMPORT_INVALID"), String(err));
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail("expected the record to be refused");
}

test("every fixture record parses, keeping what its file says", () => {
  let count = 0;
  for (const eco of readdirSync(RECORDS)) {
    for (const file of readdirSync(join(RECORDS, eco))) {
      const path = join(RECORDS, eco, file);
      const raw = JSON.parse(readFileSync(path, "utf8"));
      const record = parseOsvRecord(readFileSync(path), path);
      assert.equal(record.id, raw.id);
      assert.equal(record.modified, raw.modified);
      assert.deepEqual(record.aliases, raw.aliases ?? []);
      assert.deepEqual(record.upstream, raw.upstream ?? []);
      assert.deepEqual(record.references, raw.references ?? []);
      assert.deepEqual(record.severity, raw.severity ?? []);
      assert.deepEqual(
        record.affected.map((a) => [a.package, a.ranges, a.versions]),
        (raw as RawRecord).affected.map((a) => [a.package, a.ranges, a.versions ?? []]),
      );
      count += 1;
    }
  }
  assert.equal(count, 123);
  const dsa = parseOsvRecord(readFileSync(join(RECORDS, "Debian", "DSA-3029-1.json")), "dsa");
  assert.equal(dsa.published, "2014-09-20T00:00:00Z");
  assert.equal(dsa.schema_version, undefined);
  assert.ok(!("schema_version" in dsa), "absent fields stay absent");
});

test("null lists read as empty, a newer schema's severity type is left out, a BOM is ignored", () => {
  const record = parseOsvRecord(
    `\uFEFF${variant((r) => {
      r.aliases = null;
      r.references = null;
      r.severity = [
        { type: "CVSS_V9", score: "CVSS:9.0/X" },
        { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" },
      ];
      r.related = ["CVE-1", { type: "SIMILAR_TO", id: "CVE-2" }];
    })}`,
    "x.json",
  );
  assert.deepEqual(record.aliases, []);
  assert.deepEqual(record.references, []);
  assert.deepEqual(
    record.severity.map((s) => s.type),
    ["CVSS_V4"],
  );
  assert.deepEqual(record.related, ["CVE-1", "CVE-2"]);
});

test("what the scanner relies on is checked, each problem one line naming the file and the field", () => {
  assert.match(problem("[1, 2]"), /^x\.json: not an OSV record \(expected a JSON object\)$/);
  assert.match(problem("{"), /^x\.json: not JSON \(/);
  assert.equal(problem(variant((r) => delete r.id)), "x.json: id: missing");
  assert.equal(problem(variant((r) => (r.id = "GHSA 1"))), 'x.json: id: "GHSA 1" contains white space');
  assert.equal(
    problem(variant((r) => (r.modified = "yesterday"))),
    'x.json: modified: "yesterday" is not an RFC 3339 time',
  );
  assert.equal(
    problem(variant((r) => (r.published = "2021-13-45T00:00:00Z"))),
    'x.json: published: "2021-13-45T00:00:00Z" is not an RFC 3339 time',
  );
  assert.equal(problem(variant((r) => (r.aliases = "CVE-1"))), "x.json: aliases: expected a list");
  assert.equal(problem(variant((r) => (r.aliases = ["CVE-1", 7]))), "x.json: aliases[1]: expected a string");
  assert.equal(
    problem(variant((r) => delete r.affected[1]!.package!.name)),
    "x.json: affected[1].package.name: missing",
  );
  assert.equal(
    problem(variant((r) => (r.affected[0]!.ranges![0]!.type = "RANGE"))),
    'x.json: affected[0].ranges[0].type: unknown range type "RANGE"',
  );
  assert.equal(
    problem(variant((r) => (r.affected[0]!.ranges![0]!.events[1] = { fixed: "1", introduced: "0" }))),
    "x.json: affected[0].ranges[0].events[1]: an event sets exactly one of introduced, fixed, last_affected, limit",
  );
  assert.equal(
    problem(variant((r) => (r.affected[0]!.ranges![0]!.events = [{ fixed: "1" }]))),
    "x.json: affected[0].ranges[0].events: no introduced event",
  );
  assert.equal(
    problem(variant((r) => r.affected[0]!.ranges![0]!.events.push({ last_affected: "2" }))),
    "x.json: affected[0].ranges[0].events: both fixed and last_affected",
  );
  assert.equal(
    problem(variant((r) => (r.affected[0]!.ranges![0]!.type = "GIT"))),
    "x.json: affected[0].ranges[0]: a GIT range needs a repo",
  );
  assert.equal(
    problem(variant((r) => (r.affected[0]!.ranges![0]!.events[0]!.introduced = 0))),
    "x.json: affected[0].ranges[0].events[0].introduced: expected a string",
  );
  assert.equal(problem(variant((r) => (r.severity[0]!.score = ""))), "x.json: severity[0].score: empty");
  assert.equal(
    problem(variant((r) => (r.database_specific = [1]))),
    "x.json: database_specific: expected an object",
  );
});

test("times compare across fractions and offsets", () => {
  assert.equal(timeMs("2023-05-10T05:50:49.171788Z"), Date.parse("2023-05-10T05:50:49.171Z"));
  assert.equal(timeMs("2023-05-10T07:50:49+02:00"), timeMs("2023-05-10T05:50:49Z"));
  assert.ok(timeMs("0001-01-01T00:00:00Z") < timeMs("1970-01-01T00:00:00Z"));
});

test("package keys: ecosystem base and release, PyPI names normalised, entries chosen per package", () => {
  assert.deepEqual(splitEcosystem("Debian:12"), { base: "Debian", release: "12" });
  assert.deepEqual(splitEcosystem("Ubuntu:Pro:18.04:LTS"), { base: "Ubuntu", release: "Pro:18.04:LTS" });
  assert.deepEqual(splitEcosystem("npm"), { base: "npm", release: "" });
  assert.equal(packageNameKey("PyPI", "Zope.Interface__x"), "zope-interface-x");
  assert.equal(packageNameKey("npm", "Zope.Interface__x"), "Zope.Interface__x");

  const record: OsvRecord = parseOsvRecord(
    variant((r) => {
      r.affected = [
        { ...r.affected[0], package: { ecosystem: "Debian:11", name: "tar" } },
        { ...r.affected[0], package: { ecosystem: "Debian:12", name: "tar" } },
        { ...r.affected[0], package: { ecosystem: "Debian:12", name: "tar" } },
        { ...r.affected[0], package: { ecosystem: "Debian", name: "cpio" } },
        { ranges: [{ type: "GIT", repo: "https://example.org/tar.git", events: [{ introduced: "0" }] }] },
      ];
    }),
    "x.json",
  );
  assert.deepEqual(
    packageKeysOf(record).map((k) => `${k.base}|${k.release}|${k.name}`),
    ["Debian|11|tar", "Debian|12|tar", "Debian||cpio"],
  );
  assert.deepEqual(
    affectedFor(record, "Debian:12", "tar").map((a) => a.package?.ecosystem),
    ["Debian:12", "Debian:12"],
  );
  assert.equal(affectedFor(record, "Debian", "tar").length, 3);
  assert.equal(
    affectedFor(record, "Debian:12", "cpio").length,
    1,
    "a release-less entry covers every release",
  );
  assert.equal(affectedFor(record, "Ubuntu:12", "tar").length, 0);
});
