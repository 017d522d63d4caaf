/**
 * The import's crash promise, for real: a child process imports a large folder and is SIGKILLed in
 * the middle of the transaction, after thousands of records went in (enough that SQLite has spilled
 * uncommitted pages to the WAL file); the database must then hold exactly what it held before.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { VulnerabilityDatabase } from "../../src/scan/db/database.ts";
import { startCommand, waitForLine } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const RECORDS = fileURLToPath(new URL("../../../shared/fixtures/osv/records/", import.meta.url));
const DATABASE_MODULE = new URL("../../src/scan/db/database.ts", import.meta.url).href;
const GENERATED = 6000;
const KILL_AFTER = 4000;

/** Valid records derived from a real one: new IDs and package names, a 4 KB details text. */
function writeGeneratedRecords(dir: string): void {
  const base = JSON.parse(readFileSync(join(RECORDS, "npm", "GHSA-35jh-r3h4-6jhm.json"), "utf8"));
  for (let i = 0; i < GENERATED; i += 1) {
    const id = `WHARF-TEST-${String(i).padStart(5, "0")}`;
    const record = {
      ...base,
      id,
      details: `${id} `.repeat(300),
      affected: base.affected.map((a: { package: object }) => ({
        ...a,
        package: { ecosystem: "npm", name: `pkg-${i}` },
      })),
    };
    const sub = join(dir, String(Math.floor(i / 1000)));
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${id}.json`), JSON.stringify(record));
  }
}

/** The child: imports `folder`, says so once KILL_AFTER records are in, then stalls inside the
 *  transaction so that the kill surely lands there. */
const CHILD = `
import { VulnerabilityDatabase } from ${JSON.stringify(DATABASE_MODULE)};
const [path, folder] = process.argv.slice(1);
const db = VulnerabilityDatabase.open(path);
await db.import(folder, {
  onRecord(counts) {
    if (counts.records !== ${KILL_AFTER}) return;
    process.stdout.write("inside the transaction\\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);
  },
});
process.stdout.write("committed\\n");
`;

function integrity(path: string): string {
  const sqlite = new DatabaseSync(path, { readOnly: true });
  try {
    return (sqlite.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    sqlite.close();
  }
}

test("an import killed mid-transaction leaves the database exactly as it was", {
  timeout: 120_000,
}, async () => {
  const dir = tempDir("wharf-osv-crash-");
  const path = join(dir, "scan", "osv.db");
  const db = VulnerabilityDatabase.open(path, { create: true });
  await db.import(RECORDS);
  const before = {
    status: db.status(),
    lodash: db.recordsFor("npm", "lodash"),
    record: db.record("GO-2021-0072"),
  };
  db.close();
  assert.equal(before.status.records, 123);
  assert.ok(!existsSync(`${path}-wal`), "the last close checkpointed the WAL away");

  const folder = join(dir, "generated");
  writeGeneratedRecords(folder);
  const { child, done } = startCommand(process.execPath, ["--input-type=module", "-e", CHILD, path, folder]);
  await waitForLine(child, "inside the transaction");
  assert.equal(child.exitCode, null, "the child is still inside its import");
  const walBytes = statSync(`${path}-wal`).size;
  child.kill("SIGKILL");
  const finished = await done;
  assert.equal(finished.signal, "SIGKILL", finished.stderr);
  assert.doesNotMatch(finished.stdout, /committed/);
  assert.ok(walBytes > 1024 * 1024, `uncommitted pages had reached the WAL (${walBytes} bytes)`);

  assert.equal(integrity(path), "ok");
  const after = VulnerabilityDatabase.open(path);
  assert.deepEqual(after.status(), before.status);
  assert.deepEqual(after.recordsFor("npm", "lodash"), before.lodash);
  assert.deepEqual(after.record("GO-2021-0072"), before.record);
  assert.equal(after.record("WHARF-TEST-00000"), undefined);
  assert.deepEqual(after.recordsFor("npm", "pkg-0"), []);

  // And the database still takes the import that was killed.
  const again = await after.import(folder);
  assert.deepEqual([again.records, again.added], [GENERATED, GENERATED]);
  assert.deepEqual(
    after.recordsFor("npm", "pkg-4321").map((r) => r.id),
    ["WHARF-TEST-04321"],
  );
  assert.equal(after.status().records, 123 + GENERATED);
  after.close();
});
