/**
 * Local times as Docker prints them, under many values of $TZ: `images --format {{.CreatedAt}}`
 * (Go's Time.String(): "2025-07-15 12:30:00 +0100 BST") and `history --format {{.CreatedAt}}` (RFC
 * 3339 in the local zone), wharf's output compared line by line with the docker CLI's (Go, reading
 * the same tz database) on the same images in a dockerd of the test's own. The values cover Go's rules
 * for choosing the zone (unset, "", "UTC", a name with and without ":", an absolute path, an unknown
 * name, a POSIX rule string and a file that is not a zone: the last three are UTC in Go) and zones
 * whose abbreviations Intl does not give. Two images: the busybox fixture (created in November) and
 * one made here whose config and history have times in January and July, before 1970, and after the
 * last transition of the zone files (2045, the footer rule).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { FIXTURES_DIR } from "../corpus.ts";
import { type Dockerd, runOk, startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = join(FIXTURES_DIR, "oci/busybox");
const SEASONS_CREATED = "2025-07-15T11:30:00Z";
const SEASONS_HISTORY = ["1950-01-10T00:00:00Z", "2025-01-15T12:00:00Z", "2045-07-04T06:00:00Z"];
const TZ_VALUES: (string | undefined)[] = [
  undefined,
  "",
  "UTC",
  "Asia/Tokyo",
  ":Asia/Tokyo",
  "/usr/share/zoneinfo/Asia/Tokyo",
  ":/usr/share/zoneinfo/Europe/London",
  "Europe/London",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "America/Sao_Paulo",
  "Europe/Dublin",
  "Nowhere/Land",
  "JST-9",
  "/etc/passwd",
];

const dockerd: Dockerd = await startDockerd({ insecureRegistries: [] });
const work = tempDir("wharf-tz-");
const root = join(work, "root");

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** The busybox fixture's layers under a config of the given times (a layout of its own). */
function writeSeasonsLayout(dir: string): void {
  const index = JSON.parse(readFileSync(join(BUSYBOX, "index.json"), "utf8"));
  const blob = (digest: string) => readFileSync(join(BUSYBOX, "blobs/sha256", digest.slice(7)));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  config.created = SEASONS_CREATED;
  config.history = config.history.map((h: Record<string, unknown>, i: number) => ({
    ...h,
    created: SEASONS_HISTORY[i] ?? SEASONS_CREATED,
  }));
  mkdirSync(join(dir, "blobs"), { recursive: true });
  cpSync(join(BUSYBOX, "blobs"), join(dir, "blobs"), { recursive: true });
  const put = (bytes: Buffer) => {
    writeFileSync(join(dir, "blobs/sha256", sha256(bytes)), bytes);
    return { digest: `sha256:${sha256(bytes)}`, size: bytes.length };
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  manifest.config = { ...manifest.config, ...put(configBytes) };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const entry = { ...index.manifests[0], ...put(manifestBytes) };
  writeFileSync(join(dir, "index.json"), JSON.stringify({ ...index, manifests: [entry] }));
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
}

const IMAGES = [
  { layout: BUSYBOX, name: "tz/busybox:latest" },
  { layout: join(work, "seasons"), name: "tz/seasons:latest" },
];

before(async () => {
  writeSeasonsLayout(IMAGES[1]!.layout);
  for (const { layout, name } of IMAGES) {
    const w = await wharf(["--root", root, "copy", "-q", `oci:${layout}:latest`, name]);
    assert.equal(w.code, 0, w.stderr);
    const archive = join(work, `${name.replace(/[/:]/g, "_")}.tar`);
    await runOk("skopeo", ["copy", "--quiet", `oci:${layout}:latest`, `docker-archive:${archive}:${name}`]);
    await dockerd.dockerOk(["load", "-q", "-i", archive]);
  }
});

function envWith(tz: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C" };
  delete env.TZ;
  return tz === undefined ? env : { ...env, TZ: tz };
}

const label = (tz: string | undefined) => (tz === undefined ? "TZ unset" : `TZ=${JSON.stringify(tz)}`);

async function both(args: string[], tz: string | undefined): Promise<{ docker: string; wharf: string }> {
  const d = await dockerd.dockerOk(args, { env: envWith(tz) });
  const w = await wharf(["--root", root, ...args], { env: envWith(tz) });
  assert.equal(w.code, 0, `wharf ${args.join(" ")}: ${w.stderr}`);
  return { docker: d.stdout, wharf: w.stdout };
}

describe("history --format {{.CreatedAt}}: RFC 3339 in Go's local zone", () => {
  for (const tz of TZ_VALUES) {
    test(label(tz), async () => {
      for (const { name } of IMAGES) {
        const out = await both(["history", "--format", "{{.CreatedAt}} {{.CreatedBy}}", name], tz);
        assert.equal(out.wharf, out.docker, `${name} under ${label(tz)}`);
      }
    });
  }

  test("the zones differ from one another (the comparison sees the zone at all)", async () => {
    const seen = new Set<string>();
    for (const tz of ["UTC", "Asia/Tokyo", "America/New_York", "Australia/Lord_Howe"]) {
      seen.add((await both(["history", "--format", "{{.CreatedAt}}", IMAGES[1]!.name], tz)).docker);
    }
    assert.equal(seen.size, 4);
  });
});

describe("images --format {{.CreatedAt}}: Go's Time.String() with the zone's abbreviation", () => {
  for (const tz of TZ_VALUES) {
    test(label(tz), async () => {
      const out = await both(["images", "--format", "{{.Repository}} {{.CreatedAt}}"], tz);
      const sorted = (s: string) => s.split("\n").filter(Boolean).sort();
      assert.deepEqual(sorted(out.wharf), sorted(out.docker), label(tz));
    });
  }
});
