/**
 * The rpm cataloger. With rpm and rpmbuild installed, on a real rpmdb.sqlite: a database made with
 * `rpm --initdb`, a tiny package built with rpmbuild installed into it, checked against `rpm -qa`.
 * Always: headers written in rpm's header format into a Packages table made with node:sqlite (the
 * same schema rpm uses), and malformed databases and headers, which must be errors naming the file.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { packageFromHeader, readRpmDatabase, rpmCataloger } from "../../src/scan/catalog/rpm.ts";
import { tempDir } from "../helpers/tmp.ts";

const DB_PATH = "var/lib/rpm/rpmdb.sqlite";
const haveRpm = ["rpm", "rpmbuild"].every((tool) => spawnSync("which", [tool]).status === 0);
const needsRpm = haveRpm
  ? false
  : "rpm and rpmbuild are not installed (Debian package `rpm`): no real rpmdb.sqlite";

type TagValue = { tag: number; type: 4; value: number } | { tag: number; type: 6 | 9; value: string };

/** A header blob as rpm stores it in rpmdb: entry count, data length, 16-byte entries, data. */
function headerBlob(tags: TagValue[]): Buffer {
  const data: Buffer[] = [];
  let length = 0;
  const entries = Buffer.alloc(tags.length * 16);
  tags.forEach((t, i) => {
    // INT32 values are 4-byte aligned in the data store.
    const pad = t.type === 4 ? (4 - (length % 4)) % 4 : 0;
    if (pad > 0) data.push(Buffer.alloc(pad));
    length += pad;
    const bytes = t.type === 4 ? Buffer.alloc(4) : Buffer.from(`${t.value}\0`);
    if (t.type === 4) bytes.writeUInt32BE(t.value);
    entries.writeUInt32BE(t.tag, i * 16);
    entries.writeUInt32BE(t.type, i * 16 + 4);
    entries.writeInt32BE(length, i * 16 + 8);
    entries.writeUInt32BE(1, i * 16 + 12);
    data.push(bytes);
    length += bytes.length;
  });
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(tags.length, 0);
  preamble.writeUInt32BE(length, 4);
  return Buffer.concat([preamble, entries, ...data]);
}

function bashHeader(epoch?: number): Buffer {
  return headerBlob([
    { tag: 1000, type: 6, value: "bash" },
    { tag: 1001, type: 6, value: "5.1.8" },
    { tag: 1002, type: 6, value: "6.el9" },
    ...(epoch === undefined ? [] : [{ tag: 1003, type: 4 as const, value: epoch }]),
    { tag: 1004, type: 9, value: "The GNU Bourne Again shell" },
    { tag: 1014, type: 6, value: "GPLv3+" },
    { tag: 1022, type: 6, value: "x86_64" },
    { tag: 1044, type: 6, value: "bash-5.1.8-6.el9.src.rpm" },
  ]);
}

/** An rpmdb.sqlite with rpm's Packages table holding `blobs`, as a file's bytes. */
function sqliteWith(blobs: Buffer[]): Buffer {
  const dir = tempDir("wharf-rpm-test-");
  const path = join(dir, "rpmdb.sqlite");
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO Packages (blob) VALUES (?)");
  for (const blob of blobs) insert.run(blob);
  db.close();
  return readFileSync(path);
}

describe("rpm", () => {
  test("a real rpmdb.sqlite made by rpm, with a package built by rpmbuild", { skip: needsRpm }, () => {
    const dir = tempDir("wharf-rpm-real-");
    const dbDir = join(dir, "db");
    const top = join(dir, "build");
    for (const sub of ["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS"])
      mkdirSync(join(top, sub), { recursive: true });
    const spec = join(top, "SPECS", "wharf-probe.spec");
    writeFileSync(
      spec,
      [
        "Name: wharf-probe",
        "Version: 1.2.3",
        "Release: 4",
        "Epoch: 2",
        "Summary: A package made by wharf's tests",
        "License: MIT",
        "BuildArch: noarch",
        "%description",
        "Nothing inside.",
        "%files",
        "",
      ].join("\n"),
    );
    const defines = ["--define", `_topdir ${top}`, "--define", "_db_backend sqlite", "--dbpath", dbDir];
    execFileSync("rpm", ["--initdb", ...defines]);
    execFileSync("rpmbuild", ["-bb", "--define", `_topdir ${top}`, spec], { stdio: "ignore" });
    const built = join(top, "RPMS", "noarch", readdirSync(join(top, "RPMS", "noarch"))[0]!);
    execFileSync("rpm", ["-i", "--justdb", "--nodeps", "--nosignature", ...defines, built]);
    const content = readFileSync(join(dbDir, "rpmdb.sqlite"));
    const found = readRpmDatabase({ path: DB_PATH, mode: 0o644, content });
    const query = execFileSync(
      "rpm",
      [
        "-qa",
        ...defines,
        "--qf",
        "%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n",
      ],
      { encoding: "utf8" },
    );
    const expected = query
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("gpg-pubkey"))
      .map((line) => {
        const [name, epoch, vr, arch, , license] = line.split("\t");
        return { name, version: epoch === "(none)" ? vr : `${epoch}:${vr}`, arch, license };
      });
    const byName = (a: { name?: string }, b: { name?: string }) => ((a.name ?? "") < (b.name ?? "") ? -1 : 1);
    assert.deepEqual(
      found
        .map((p) => ({ name: p.name, version: p.version, arch: p.arch, license: p.licenses?.[0] }))
        .sort(byName),
      expected.sort(byName),
    );
    const probe = found.find((p) => p.name === "wharf-probe");
    assert.equal(probe?.version, "2:1.2.3-4");
    assert.equal(probe?.sourceName, "wharf-probe");
  });

  test("headers in rpm's format, in a Packages table", () => {
    const content = sqliteWith([
      bashHeader(),
      bashHeader(1),
      // An imported signing key: in the database, but not a package.
      headerBlob([
        { tag: 1000, type: 6, value: "gpg-pubkey" },
        { tag: 1001, type: 6, value: "fd431d51" },
        { tag: 1002, type: 6, value: "4ae0493b" },
      ]),
    ]);
    assert.ok(rpmCataloger.wants(DB_PATH, content.length, 0o644));
    assert.ok(rpmCataloger.wants("usr/lib/sysimage/rpm/rpmdb.sqlite", content.length, 0o644));
    assert.ok(!rpmCataloger.wants("var/lib/rpm/rpmdb.sqlite-shm", content.length, 0o644));
    const found = readRpmDatabase({ path: DB_PATH, mode: 0o644, content });
    assert.deepEqual(found, [
      {
        type: "rpm",
        name: "bash",
        version: "5.1.8-6.el9",
        arch: "x86_64",
        sourceName: "bash",
        licenses: ["GPLv3+"],
      },
      {
        type: "rpm",
        name: "bash",
        version: "1:5.1.8-6.el9",
        arch: "x86_64",
        sourceName: "bash",
        licenses: ["GPLv3+"],
      },
    ]);
  });

  test("a database in WAL mode (as rpm leaves it) is read without its -wal and -shm files", () => {
    const content = sqliteWith([bashHeader()]);
    content.fill(2, 18, 20);
    assert.equal(readRpmDatabase({ path: DB_PATH, mode: 0o644, content }).length, 1);
  });

  test("garbage, a database without Packages, BerkeleyDB: errors naming the file", () => {
    const dir = tempDir("wharf-rpm-bad-");
    const other = new DatabaseSync(join(dir, "other.sqlite"));
    other.exec("CREATE TABLE t (x)");
    other.close();
    const cases: [string, Buffer][] = [
      [DB_PATH, readFileSync("/bin/true")],
      [DB_PATH, Buffer.from("SQLite format 3\0 but nothing after it")],
      [DB_PATH, readFileSync(join(dir, "other.sqlite"))],
      ["var/lib/rpm/Packages", Buffer.alloc(4096)],
    ];
    for (const [path, content] of cases) {
      assert.ok(rpmCataloger.wants(path, content.length, 0o644));
      assert.throws(
        () => readRpmDatabase({ path, mode: 0o644, content }),
        (err) => isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && err.message.startsWith(`${path}: `),
      );
    }
  });

  test("every truncation and corruption of a header is an error, never a crash or a wrong read", () => {
    const blob = bashHeader(3);
    assert.equal(packageFromHeader(blob)?.version, "3:5.1.8-6.el9");
    for (let cut = 0; cut < blob.length; cut++) {
      assert.throws(() => packageFromHeader(blob.subarray(0, cut)), Error, `cut at ${cut}`);
    }
    const huge = Buffer.from(blob);
    huge.writeUInt32BE(0x10000, 0);
    assert.throws(() => packageFromHeader(huge), /tags/);
    const outside = Buffer.from(blob);
    outside.writeInt32BE(1 << 20, 8 + 8);
    assert.throws(() => packageFromHeader(outside), /outside/);
    // The table's rows: a corrupt header makes the database an error naming it.
    const content = sqliteWith([bashHeader(), blob.subarray(0, 40)]);
    assert.throws(
      () => readRpmDatabase({ path: DB_PATH, mode: 0o644, content }),
      (err) => isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && /row 2/.test(err.message),
    );
  });
});
