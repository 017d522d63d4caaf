import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isWharfError } from "../../src/errors.ts";
import { type ImportResult, VulnerabilityDatabase } from "../../src/scan/db/database.ts";
import { parseOsvRecord } from "../../src/scan/db/osv-parse.ts";
import { tempDir } from "../helpers/tmp.ts";

const OSV = fileURLToPath(new URL("../../../shared/fixtures/osv/", import.meta.url));
const RECORDS = join(OSV, "records");
const OSV_SCANNER = join(OSV, "osv-scanner");

interface FixtureFile {
  path: string;
  json: { id: string; modified: string; affected?: { package: { ecosystem: string; name: string } }[] };
}

/** The fixture records as plain JSON, read independently of the code under test. */
const fixtures: FixtureFile[] = readdirSync(RECORDS).flatMap((eco) =>
  readdirSync(join(RECORDS, eco))
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const path = join(RECORDS, eco, f);
      return { path, json: JSON.parse(readFileSync(path, "utf8")) };
    }),
);
const fixtureIds = fixtures.map((f) => f.json.id).sort();

function freshDb(): VulnerabilityDatabase {
  return VulnerabilityDatabase.open(join(tempDir("wharf-osvdb-"), "scan", "osv.db"), { create: true });
}

function allIds(db: VulnerabilityDatabase): string[] {
  const sqlite = new DatabaseSync(db.path, { readOnly: true });
  try {
    return (sqlite.prepare("SELECT id FROM records ORDER BY id").all() as { id: string }[]).map((r) => r.id);
  } finally {
    sqlite.close();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isWharfError(err), `expected a WharfError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
}

test("the fixture folder and osv-scanner's zips import the same records, as the files have them", async () => {
  assert.equal(fixtures.length, 123, "the fixture has 123 record files (its README says 130)");
  const fromFolder = freshDb();
  const fromZips = freshDb();
  const folder = await fromFolder.import(RECORDS);
  const zips = await fromZips.import(OSV_SCANNER);
  for (const result of [folder, zips]) {
    assert.deepEqual(
      { records: result.records, added: result.added, updated: result.updated, invalid: result.invalid },
      { records: 123, added: 123, updated: 0, invalid: 0 },
    );
    assert.deepEqual(result.problems, []);
  }
  assert.deepEqual(allIds(fromFolder), fixtureIds);
  assert.deepEqual(allIds(fromZips), fixtureIds);
  for (const { path, json } of fixtures) {
    const expected = parseOsvRecord(readFileSync(path), path);
    assert.deepEqual(fromFolder.record(json.id), expected, json.id);
    assert.deepEqual(fromZips.record(json.id), expected, json.id);
  }
  // Free-form fields pass through: GitHub's severity word, Go's affected symbols.
  assert.equal(fromZips.record("GHSA-35jh-r3h4-6jhm")?.database_specific?.severity, "HIGH");
  const go = fromZips.record("GO-2021-0072")?.affected[0]?.ecosystem_specific as { imports: unknown[] };
  assert.equal(go.imports.length, 2);
  assert.equal(fromZips.record("NO-SUCH-ID"), undefined);
  fromFolder.close();
  fromZips.close();
});

test("every (ecosystem, package) of the fixtures finds exactly the records whose files name it", async () => {
  const db = freshDb();
  await db.import(OSV_SCANNER);
  const expected = new Map<string, Set<string>>();
  for (const { json } of fixtures) {
    for (const a of json.affected ?? []) {
      const key = `${a.package.ecosystem}\0${a.package.name}`;
      expected.set(key, (expected.get(key) ?? new Set()).add(json.id));
    }
  }
  assert.ok(expected.size >= 30);
  for (const [key, ids] of expected) {
    const [ecosystem, name] = key.split("\0") as [string, string];
    const got = db.recordsFor(ecosystem, name).map((r) => r.id);
    assert.deepEqual(got, [...ids].sort(), key);
  }
  db.close();
});

test("a release in the query finds that release's records; without one, all of the ecosystem's", async () => {
  const db = freshDb();
  await db.import(RECORDS);
  const ids = (ecosystem: string, name: string) => db.recordsFor(ecosystem, name).map((r) => r.id);
  assert.deepEqual(ids("Debian:7", "nginx"), ["DSA-3029-1"]);
  assert.deepEqual(ids("Debian", "nginx"), ["DSA-3029-1"]);
  assert.deepEqual(ids("Debian:12", "nginx"), [], "Debian 7's fix says nothing about Debian 12");
  assert.deepEqual(ids("Debian:12", "tar"), ["DEBIAN-CVE-2022-48303", "DEBIAN-CVE-2023-39804"]);
  assert.deepEqual(ids("Alpine:v3.10", "musl"), ["ALPINE-CVE-2016-8859", "ALPINE-CVE-2019-14697"]);
  assert.deepEqual(ids("Alpine", "musl"), ["ALPINE-CVE-2016-8859", "ALPINE-CVE-2019-14697"]);
  assert.deepEqual(ids("Alpine:v3.18", "musl"), []);
  assert.equal(ids("Go", "stdlib").length, 14);
  assert.deepEqual(ids("npm", "lodash-es"), [
    "GHSA-35jh-r3h4-6jhm",
    "GHSA-jf85-cpcp-j695",
    "GHSA-p6mc-m468-83gw",
  ]);
  // Names are exact outside PyPI; an ecosystem is its exact name.
  assert.deepEqual(ids("npm", "Lodash"), []);
  assert.deepEqual(ids("npm", "moment"), ["GHSA-8hfj-j24r-96c4", "GHSA-wc69-rhjr-hc9g"]);
  assert.deepEqual(ids("NuGet", "Moment.js"), ["GHSA-8hfj-j24r-96c4", "GHSA-wc69-rhjr-hc9g"]);
  db.close();
});

test("a re-import changes nothing; a newer modified replaces a record and its index, an older one does not", async () => {
  const db = freshDb();
  await db.import(RECORDS);
  const again = await db.import(OSV_SCANNER);
  assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, 123]);
  assert.equal(db.status().records, 123);

  const dir = tempDir("wharf-osv-newer-");
  const original = JSON.parse(readFileSync(join(RECORDS, "npm", "GHSA-35jh-r3h4-6jhm.json"), "utf8"));
  const newer = { ...original, modified: "2030-01-01T00:00:00.123456Z", summary: "newer summary" };
  newer.affected = [{ ...original.affected[0], package: { ecosystem: "npm", name: "lodash.template" } }];
  writeFileSync(join(dir, "newer.json"), JSON.stringify(newer));
  const updated = await db.import(join(dir, "newer.json"));
  assert.deepEqual([updated.added, updated.updated, updated.unchanged], [0, 1, 0]);
  assert.equal(db.record("GHSA-35jh-r3h4-6jhm")?.summary, "newer summary");
  assert.deepEqual(
    db.recordsFor("npm", "lodash.template").map((r) => r.id),
    ["GHSA-35jh-r3h4-6jhm"],
  );
  assert.deepEqual(
    db.recordsFor("npm", "lodash").map((r) => r.id),
    ["GHSA-jf85-cpcp-j695", "GHSA-p6mc-m468-83gw"],
    "the replaced record's old packages are no longer indexed",
  );

  const older = { ...original, modified: "2022-02-08T21:35:08Z", summary: "older summary" };
  writeFileSync(join(dir, "older.json"), JSON.stringify(older));
  const kept = await db.import(join(dir, "older.json"));
  assert.deepEqual([kept.added, kept.updated, kept.unchanged], [0, 0, 1]);
  assert.equal(db.record("GHSA-35jh-r3h4-6jhm")?.summary, "newer summary");
  db.close();
});

test("withdrawn records are kept and flagged, and left out of lookups unless asked for", async () => {
  const db = freshDb();
  await db.import(join(RECORDS, "Go"));
  const dir = tempDir("wharf-osv-withdrawn-");
  const record = JSON.parse(readFileSync(join(RECORDS, "Go", "GO-2021-0072.json"), "utf8"));
  writeFileSync(
    join(dir, "w.json"),
    JSON.stringify({ ...record, modified: "2030-01-01T00:00:00Z", withdrawn: "2030-01-01T00:00:00Z" }),
  );
  await db.import(dir);
  assert.deepEqual(db.recordsFor("Go", "github.com/docker/distribution"), []);
  const withWithdrawn = db.recordsFor("Go", "github.com/docker/distribution", { withdrawn: true });
  assert.deepEqual(
    withWithdrawn.map((r) => [r.id, r.withdrawn]),
    [["GO-2021-0072", "2030-01-01T00:00:00Z"]],
  );
  assert.equal(db.record("GO-2021-0072")?.withdrawn, "2030-01-01T00:00:00Z");
  const status = db.status();
  assert.equal(status.withdrawn, 1);
  assert.deepEqual(status.ecosystems, [
    { ecosystem: "Go", records: 16, withdrawn: 1, releases: [{ release: "", records: 16 }] },
  ]);
  db.close();
});

test("PyPI names match normalised (PEP 503); releases match their more specific forms", async () => {
  const db = freshDb();
  const dir = tempDir("wharf-osv-pypi-");
  const base = JSON.parse(readFileSync(join(RECORDS, "npm", "GHSA-35jh-r3h4-6jhm.json"), "utf8"));
  const affected = (ecosystem: string, name: string) => [
    { ...base.affected[0], package: { ecosystem, name } },
  ];
  writeFileSync(
    join(dir, "pypi.json"),
    JSON.stringify({ ...base, id: "PYSEC-T-1", affected: affected("PyPI", "Django_REST.framework") }),
  );
  writeFileSync(
    join(dir, "ubuntu.json"),
    JSON.stringify({ ...base, id: "UBUNTU-T-1", affected: affected("Ubuntu:22.04:LTS", "tar") }),
  );
  await db.import(dir);
  assert.deepEqual(
    db.recordsFor("PyPI", "django-rest-framework").map((r) => r.id),
    ["PYSEC-T-1"],
  );
  assert.deepEqual(
    db.recordsFor("PyPI", "DJANGO..rest__Framework").map((r) => r.id),
    ["PYSEC-T-1"],
  );
  assert.deepEqual(db.recordsFor("PyPI", "django-restframework"), []);
  assert.deepEqual(
    db.recordsFor("Ubuntu:22.04", "tar").map((r) => r.id),
    ["UBUNTU-T-1"],
  );
  assert.deepEqual(
    db.recordsFor("Ubuntu:22.04:LTS", "tar").map((r) => r.id),
    ["UBUNTU-T-1"],
  );
  assert.deepEqual(db.recordsFor("Ubuntu:22.0", "tar"), []);
  assert.deepEqual(db.recordsFor("Ubuntu:20.04", "tar"), []);
  db.close();
});

test("bad files in a folder are reported one line each, and the rest imported", async () => {
  const dir = tempDir("wharf-osv-bad-");
  mkdirSync(join(dir, "nested"));
  for (const name of ["GHSA-35jh-r3h4-6jhm.json", "GHSA-9c47-m6qq-7p4h.json"]) {
    copyFileSync(join(RECORDS, "npm", name), join(dir, "nested", name));
  }
  copyFileSync(join(RECORDS, "Alpine", "ALPINE-CVE-2016-8859.json"), join(dir, "a.json"));
  const text = readFileSync(join(RECORDS, "Go", "GO-2021-0072.json"), "utf8");
  writeFileSync(join(dir, "broken.json"), text.slice(0, text.length / 2));
  writeFileSync(join(dir, "no-modified.json"), JSON.stringify({ ...JSON.parse(text), modified: undefined }));
  writeFileSync(join(dir, "README.md"), "not a record, not read");
  const db = freshDb();
  const result = await db.import(dir);
  assert.deepEqual([result.records, result.added, result.invalid], [3, 3, 2]);
  assert.equal(result.problems.length, 2);
  assert.match(result.problems[0]!, /^\/.*\/broken\.json: not JSON \(/);
  assert.equal(result.problems[1], `${join(dir, "no-modified.json")}: modified: missing`);
  for (const line of result.problems) assert.doesNotMatch(line, /\n/);
  assert.deepEqual(allIds(db), ["ALPINE-CVE-2016-8859", "GHSA-35jh-r3h4-6jhm", "GHSA-9c47-m6qq-7p4h"]);
  assert.equal(db.status().lastImport?.invalid, 2);
  // A single file is the whole source: its problem is the import's error.
  await rejectsWith(db.import(join(dir, "broken.json")), "SCAN_IMPORT_INVALID", /broken\.json: not JSON/);
  await rejectsWith(
    db.import(join(dir, "missing.json")),
    "SCAN_IMPORT_INVALID",
    /missing\.json: no such file/,
  );
  await rejectsWith(db.import(join(dir, "README.md")), "SCAN_IMPORT_INVALID", /README\.md: not JSON/);
  const empty = join(dir, "empty");
  mkdirSync(empty);
  await rejectsWith(
    db.import(empty),
    "SCAN_IMPORT_INVALID",
    /empty: no OSV \.json records or \.zip archives/,
  );
  db.close();
});

test("a truncated, damaged or fake zip is a clear error and leaves the database as it was", async () => {
  const db = freshDb();
  await db.import(join(OSV_SCANNER, "Alpine", "all.zip"));
  const before = { ids: allIds(db), status: db.status() };
  const dir = tempDir("wharf-osv-zip-");
  const zip = readFileSync(join(OSV_SCANNER, "Debian", "all.zip"));
  writeFileSync(join(dir, "truncated.zip"), zip.subarray(0, Math.floor(zip.length * 0.6)));
  writeFileSync(join(dir, "fake.zip"), "this is not a zip archive\n");
  // Damage the data of an entry late in the archive: the entries before it go in, then it fails.
  const damaged = Buffer.from(zip);
  const header = damaged.indexOf(Buffer.from("DSA-3029-1.json")) - 30; // its local file header
  const dataStart = header + 30 + damaged.readUInt16LE(header + 26) + damaged.readUInt16LE(header + 28);
  damaged.fill(0xff, dataStart, dataStart + 200);
  writeFileSync(join(dir, "damaged.zip"), damaged);
  await rejectsWith(
    db.import(join(dir, "truncated.zip")),
    "SCAN_IMPORT_INVALID",
    /truncated\.zip: not a zip archive, or a truncated one/,
  );
  await rejectsWith(db.import(join(dir, "fake.zip")), "SCAN_IMPORT_INVALID", /fake\.zip: not a zip archive/);
  let storedBeforeFailure = 0;
  await rejectsWith(
    db.import(join(dir, "damaged.zip"), {
      onRecord: (c) => {
        storedBeforeFailure = c.records;
      },
    }),
    "SCAN_IMPORT_INVALID",
    /damaged\.zip: damaged zip archive at DSA-3029-1\.json/,
  );
  assert.ok(
    storedBeforeFailure > 50,
    `records stored in the transaction before it failed: ${storedBeforeFailure}`,
  );
  // The folder holding them fails as a whole too.
  await rejectsWith(db.import(dir), "SCAN_IMPORT_INVALID", /damaged\.zip: damaged zip archive/);
  assert.deepEqual(allIds(db), before.ids);
  assert.deepEqual(db.status(), before.status);
  db.close();
});

test("opening: a missing database, garbage, another SQLite file, an unknown schema version", () => {
  const dir = tempDir("wharf-osv-open-");
  const missing = join(dir, "scan", "osv.db");
  assert.throws(
    () => VulnerabilityDatabase.open(missing),
    (err: unknown) =>
      isWharfError(err, "SCAN_DB_MISSING") &&
      err.message ===
        `no vulnerability database at ${missing}: import one with \`wharf scan db import PATH\``,
  );
  assert.throws(() => statSync(missing), /ENOENT/, "opening without create makes no file");

  const garbage = join(dir, "garbage.db");
  writeFileSync(garbage, Buffer.alloc(8192, "not an sqlite database "));
  for (const create of [false, true]) {
    assert.throws(
      () => VulnerabilityDatabase.open(garbage, { create }),
      (err: unknown) =>
        isWharfError(err, "SCAN_DB_CORRUPT") && err.message.startsWith(`${garbage} is not a wharf`),
    );
  }

  const other = join(dir, "other.db");
  const sqlite = new DatabaseSync(other);
  sqlite.exec("CREATE TABLE images (id TEXT)");
  sqlite.close();
  assert.throws(
    () => VulnerabilityDatabase.open(other, { create: true }),
    (err: unknown) => isWharfError(err, "SCAN_DB_CORRUPT"),
  );

  const future = join(dir, "future.db");
  VulnerabilityDatabase.open(future, { create: true }).close();
  const bump = new DatabaseSync(future);
  bump.exec("PRAGMA user_version = 99");
  bump.close();
  assert.throws(
    () => VulnerabilityDatabase.open(future),
    (err: unknown) => isWharfError(err, "SCAN_DB_CORRUPT") && /schema version 99/.test(err.message),
  );
});

test("status: records per ecosystem and release, the newest modified, the imports and their sources", async () => {
  const db = freshDb();
  const empty = db.status();
  assert.deepEqual(
    { records: empty.records, ecosystems: empty.ecosystems, sources: empty.sources, last: empty.lastImport },
    { records: 0, ecosystems: [], sources: [], last: undefined },
  );
  const first = await db.import(RECORDS);
  await db.import(join(OSV_SCANNER, "Go", "all.zip"));
  const status = db.status();
  assert.equal(status.records, 123);
  assert.equal(status.withdrawn, 0);
  assert.equal(status.schemaVersion, 1);
  assert.deepEqual(
    status.ecosystems.map((e) => [
      e.ecosystem,
      e.records,
      e.releases.map((r) => `${r.release}=${r.records}`),
    ]),
    [
      ["Alpine", 13, ["v3.10=13"]],
      ["Debian", 78, ["12=77", "7=1"]],
      ["Go", 16, ["=16"]],
      ["NuGet", 2, ["=2"]],
      ["npm", 16, ["=16"]],
    ],
  );
  const newest = fixtures.map((f) => f.json.modified).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  assert.equal(status.newestModified, newest);
  assert.equal(status.lastImport?.source, resolve(OSV_SCANNER, "Go", "all.zip"));
  assert.deepEqual([status.lastImport?.records, status.lastImport?.unchanged], [16, 16]);
  assert.deepEqual(
    status.sources.map((s) => [s.source, s.added]),
    [
      [resolve(OSV_SCANNER, "Go", "all.zip"), 0],
      [resolve(RECORDS), first.added],
    ],
  );
  assert.ok(Date.parse(status.lastImport!.finishedAt) >= Date.parse(status.sources[1]!.startedAt));
  db.close();
});

test("lookups during an import see the database as it was; a second importer waits for the first", async () => {
  const db = freshDb();
  await db.import(join(OSV_SCANNER, "Go", "all.zip"));
  const seenMidway: number[] = [];
  const other = VulnerabilityDatabase.open(db.path);
  let waiting: Promise<ImportResult> | undefined;
  const first = await db.import(OSV_SCANNER, {
    onRecord: (c) => {
      // Started while the first holds the writer lock: it must wait, without blocking the first.
      if (c.records === 1) waiting = other.import(RECORDS);
      if (c.records === 50) seenMidway.push(db.status().records, other.recordsFor("npm", "lodash").length);
    },
  });
  assert.deepEqual(seenMidway, [16, 0], "the uncommitted import is not visible, on this object or another");
  const second = await waiting!;
  assert.deepEqual([first.added, first.unchanged], [123 - 16, 16]);
  assert.deepEqual([second.added, second.unchanged], [0, 123]);
  assert.ok(
    Date.parse(other.status().lastImport!.startedAt) >= Date.parse(db.status().sources[1]!.finishedAt),
  );
  assert.equal(db.status().records, 123);
  assert.equal(db.status().sources.length, 3);
  other.close();
  db.close();
});
