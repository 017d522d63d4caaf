/**
 * The image walker over layer tars made here with tar-stream (gzip, zstd and plain) from this
 * machine's real files: its dpkg status, Python metadata and npm package.json files, stacked so
 * that packages are added, upgraded, removed, whited out and hidden by an opaque directory; the
 * busybox fixture's real layers (hard links throughout); and malformed layers and files, which give
 * warnings naming them or a LAYER_INVALID for the layer, never a crash or a hang.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { type Header, pack } from "tar-stream";
import { isWharfError } from "../../src/errors.ts";
import {
  catalogImage,
  catalogLayer,
  type ImageInventory,
  type LayerFindings,
  type LayerInput,
  mergeLayers,
} from "../../src/scan/catalog/image-catalog.ts";
import { defaultCatalogers } from "../../src/scan/catalog/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = { timeout: 60_000 };
const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR = "application/vnd.oci.image.layer.v1.tar";

type EntrySpec = Partial<Header> & { name: string; content?: string | Buffer };

async function makeTar(entries: EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { content, ...header } of entries) {
    const full = { mode: 0o644, mtime: new Date(1_700_000_000_000), ...header };
    if (full.type !== undefined && full.type !== "file") p.entry(full);
    else p.entry(full, content ?? "");
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function layerOf(blob: Buffer, mediaType: string): LayerInput {
  const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
  return {
    digest,
    mediaType,
    // Small chunks: entries and headers straddle chunk boundaries, as they do off a disk.
    open: async () =>
      Readable.from(
        (function* () {
          for (let pos = 0; pos < blob.length; pos += 3000) yield blob.subarray(pos, pos + 3000);
        })(),
      ),
  };
}

const STATUS = readFileSync("/var/lib/dpkg/status", "utf8");
const PARAGRAPHS = STATUS.trim().split(/\n\n+/);
const nameOf = (paragraph: string) => /^Package: (.*)$/m.exec(paragraph)![1]!;
const versionOf = (name: string) => /^Version: (.*)$/m.exec(PARAGRAPHS.find((p) => nameOf(p) === name)!)![1]!;
const status = (paragraphs: string[]) => `${paragraphs.join("\n\n")}\n`;

const ADDED = "curl";
const REMOVED = "wget";
const UPGRADED = "less";
const UPGRADE = `${versionOf(UPGRADED)}+wharf1`;

const pyMetadata = (dist: string) => readFileSync(`/usr/lib/python3/dist-packages/${dist}/METADATA`);
const npmManifest = (name: string) => readFileSync(join(REPO, "node_modules", name, "package.json"));
const OS_RELEASE = readFileSync("/usr/lib/os-release");

async function stackedImage(): Promise<LayerInput[]> {
  const base = await makeTar([
    { name: "etc/", type: "directory", mode: 0o755 },
    { name: "etc/os-release", type: "symlink", linkname: "../usr/lib/os-release" },
    { name: "usr/lib/os-release", content: OS_RELEASE },
    { name: "var/lib/dpkg/status", content: status(PARAGRAPHS.filter((p) => nameOf(p) !== ADDED)) },
    {
      name: "./usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
      content: pyMetadata("PyYAML-6.0.dist-info"),
    },
    { name: "/app/node_modules/semver/package.json", content: npmManifest("semver") },
    { name: "app/node_modules/yaml/package.json", content: npmManifest("yaml") },
    { name: "app/node_modules/yaml/browser/package.json", content: npmManifest("yaml/browser") },
  ]);
  const second = await makeTar([
    { name: "var/lib/dpkg/status", content: STATUS },
    { name: "app/node_modules/commander/package.json", content: npmManifest("commander") },
  ]);
  const third = await makeTar([
    {
      name: "var/lib/dpkg/status",
      content: status(
        PARAGRAPHS.filter((p) => nameOf(p) !== REMOVED).map((p) =>
          nameOf(p) === UPGRADED ? p.replace(/^Version: .*$/m, `Version: ${UPGRADE}`) : p,
        ),
      ),
    },
  ]);
  const fourth = await makeTar([
    { name: "app/node_modules/.wh.semver", content: "" },
    { name: "usr/lib/python3/dist-packages/.wh..wh..opq", content: "" },
    {
      name: "usr/lib/python3/dist-packages/distro-1.8.0.dist-info/METADATA",
      content: pyMetadata("distro-1.8.0.dist-info"),
    },
    { name: "srv/node_modules/jose/package.json", content: npmManifest("jose") },
    {
      name: "srv2/node_modules/jose/package.json",
      type: "link",
      linkname: "srv/node_modules/jose/package.json",
    },
  ]);
  return [
    layerOf(gzipSync(base), GZIP),
    layerOf(zstdCompressSync(second), ZSTD),
    layerOf(third, TAR),
    layerOf(gzipSync(fourth), GZIP),
  ];
}

function layerIndexOf(inventory: ImageInventory, name: string, type = "deb"): number[] {
  return inventory.packages.filter((p) => p.name === name && p.type === type).map((p) => p.layer.index);
}

describe("image walker", () => {
  test(
    "layers stacked: added, upgraded, removed, whited out, hidden by an opaque directory",
    TIMEOUT,
    async () => {
      const layers = await stackedImage();
      const inventory = await catalogImage(layers, defaultCatalogers());
      assert.deepEqual(inventory.warnings, []);
      assert.deepEqual(inventory.os, {
        id: "debian",
        versionId: "12",
        prettyName: "Debian GNU/Linux 12 (bookworm)",
      });

      const debs = inventory.packages.filter((p) => p.type === "deb");
      assert.equal(debs.length, PARAGRAPHS.length - 1);
      assert.deepEqual(layerIndexOf(inventory, ADDED), [1]);
      assert.deepEqual(layerIndexOf(inventory, REMOVED), []);
      assert.deepEqual(layerIndexOf(inventory, UPGRADED), [2]);
      assert.equal(debs.find((p) => p.name === UPGRADED)?.version, UPGRADE);
      const others = debs.filter((p) => p.name !== ADDED && p.name !== UPGRADED);
      assert.ok(others.every((p) => p.layer.index === 0 && p.layer.digest === layers[0]!.digest));
      assert.ok(
        debs.every(
          (p) => p.ecosystem === "Debian:12" && p.path === "var/lib/dpkg/status" && p.cataloger === "dpkg",
        ),
      );
      const curl = debs.find((p) => p.name === ADDED)!;
      assert.equal(
        curl.purl,
        `pkg:deb/debian/curl@${curl.version.replaceAll("+", "%2B")}?arch=${curl.arch}&distro=debian-12`,
      );

      const npm = inventory.packages
        .filter((p) => p.type === "npm")
        .map((p) => [p.name, p.path, p.layer.index]);
      assert.deepEqual(npm, [
        ["commander", "app/node_modules/commander/package.json", 1],
        ["jose", "srv/node_modules/jose/package.json", 3],
        ["jose", "srv2/node_modules/jose/package.json", 3],
        ["yaml", "app/node_modules/yaml/package.json", 0],
      ]);
      const python = inventory.packages
        .filter((p) => p.type === "pypi")
        .map((p) => [p.name, p.ecosystem, p.layer.index]);
      assert.deepEqual(python, [["distro", "PyPI", 3]]);

      // Sorted by type, then name.
      const keys = inventory.packages.map((p) => `${p.type}\0${p.name}`);
      assert.deepEqual(keys, [...keys].sort());
    },
  );

  test(
    "layer findings survive JSON (the CLI's layer cache) and merge to the same inventory",
    TIMEOUT,
    async () => {
      const layers = await stackedImage();
      const catalogers = defaultCatalogers();
      const findings: LayerFindings[] = [];
      for (const layer of layers) findings.push(await catalogLayer(layer, catalogers));
      const cached = JSON.parse(JSON.stringify(findings));
      assert.deepEqual(cached, findings);
      const infos = layers.map((l, index) => ({ index, digest: l.digest }));
      assert.deepEqual(mergeLayers(cached, infos), mergeLayers(findings, infos));
      assert.deepEqual(findings[3]!.deleted, ["app/node_modules/semver"]);
      assert.deepEqual(findings[3]!.opaqueDirs, ["usr/lib/python3/dist-packages"]);
      assert.deepEqual(findings[0]!.hidden, ["etc/os-release"], "the symlink hides an etc/os-release below");
      assert.deepEqual(
        findings[0]!.osReleases.map((o) => o.path),
        ["usr/lib/os-release"],
      );
      assert.throws(
        () => mergeLayers(findings.slice(1), infos),
        (err) => isWharfError(err, "USAGE"),
      );
    },
  );

  test("the busybox fixture's real layers: no package databases, no warnings", TIMEOUT, async () => {
    const dir = join(FIXTURES_DIR, "oci/busybox");
    const blob = (digest: string) => join(dir, "blobs", ...digest.split(":"));
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), "utf8")) as {
      layers: { digest: string; mediaType: string }[];
    };
    const layers = manifest.layers.map((l) => ({ ...l, open: async () => createReadStream(blob(l.digest)) }));
    const inventory = await catalogImage(layers, defaultCatalogers());
    assert.deepEqual(inventory, { packages: [], warnings: [] });
  });
});

describe("malformed layers and files", () => {
  test(
    "a truncated gzip layer, a truncated tar, garbage: LAYER_INVALID naming the layer",
    TIMEOUT,
    async () => {
      const tar = await makeTar([{ name: "var/lib/dpkg/status", content: STATUS }]);
      const gz = gzipSync(tar);
      const blobs: [Buffer, string][] = [
        [gz.subarray(0, gz.length - 100), GZIP],
        [gz.subarray(0, 20), GZIP],
        [tar.subarray(0, 5000), TAR],
        [zstdCompressSync(tar).subarray(0, 3000), ZSTD],
        [Buffer.from("this is no tar at all, just text that goes on ".repeat(40)), TAR],
      ];
      for (const [blob, mediaType] of blobs) {
        const layer = layerOf(blob, mediaType);
        await assert.rejects(
          catalogLayer(layer, defaultCatalogers()),
          (err) => isWharfError(err, "LAYER_INVALID") && err.message.startsWith(`layer ${layer.digest}: `),
        );
      }
    },
  );

  test("an input stream that fails midway: its own error, as it is", TIMEOUT, async () => {
    const tar = await makeTar([{ name: "var/lib/dpkg/status", content: STATUS }]);
    const layer: LayerInput = {
      digest: "sha256:broken",
      mediaType: TAR,
      open: async () =>
        Readable.from(
          (async function* () {
            yield tar.subarray(0, 2048);
            throw new Error("connection reset");
          })(),
        ),
    };
    await assert.rejects(
      catalogLayer(layer, defaultCatalogers()),
      (err) => err instanceof Error && err.message === "connection reset" && !isWharfError(err),
    );
  });

  test("names climbing out of the root are skipped with a warning; the rest is read", TIMEOUT, async () => {
    const tar = await makeTar([
      { name: "../../etc/passwd", content: "root:x:0:0::/root:/bin/sh\n" },
      { name: "var/../../lib/apk/db/installed", content: "P:evil\nV:1\n" },
      { name: "app/node_modules/escape/package.json", type: "link", linkname: "../../../etc/shadow" },
      { name: "var/lib/dpkg/status", content: STATUS },
    ]);
    const findings = await catalogLayer(layerOf(tar, TAR), defaultCatalogers());
    assert.equal(
      findings.files.find((f) => f.path === "var/lib/dpkg/status")?.packages.length,
      PARAGRAPHS.length,
    );
    assert.equal(findings.warnings.length, 3);
    assert.ok(
      findings.warnings[0]!.includes('"../../etc/passwd"') && findings.warnings[0]!.includes("climbs out"),
    );
    assert.ok(findings.warnings[1]!.includes('"var/../../lib/apk/db/installed"'));
    assert.ok(findings.warnings[2]!.includes('"../../../etc/shadow"'));
  });

  test(
    "bad package files are warnings naming them; a garbage status replaces the earlier one",
    TIMEOUT,
    async () => {
      const good = await makeTar([{ name: "var/lib/dpkg/status", content: STATUS }]);
      const bad = await makeTar([
        { name: "var/lib/dpkg/status", content: readFileSync("/bin/true").subarray(0, 3000) },
        { name: "app/node_modules/broken/package.json", content: '{"name": "broken", ' },
        { name: "var/lib/rpm/rpmdb.sqlite", content: Buffer.from("SQLite format 3\0garbage".repeat(100)) },
        { name: "usr/lib/python3/dist-packages/x-1.dist-info/METADATA", content: "Summary: no name\n" },
      ]);
      const layers = [layerOf(good, TAR), layerOf(gzipSync(bad), GZIP)];
      const inventory = await catalogImage(layers, defaultCatalogers());
      assert.deepEqual(inventory.packages, []);
      const paths = [
        "var/lib/dpkg/status",
        "app/node_modules/broken/package.json",
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/python3/dist-packages/x-1.dist-info/METADATA",
      ];
      assert.equal(inventory.warnings.length, paths.length);
      paths.forEach((path, i) => {
        assert.ok(
          inventory.warnings[i]!.startsWith(`layer ${layers[1]!.digest}: ${path}: `),
          inventory.warnings[i],
        );
      });
    },
  );

  test(
    "a wanted file over the size limit is skipped with a warning and hides the one below",
    TIMEOUT,
    async () => {
      const small = await makeTar([
        { name: "lib/apk/db/installed", content: "P:musl\nV:1.2.4-r2\nA:x86_64\n" },
      ]);
      const big = await makeTar([
        { name: "lib/apk/db/installed", content: `P:musl\nV:1.2.4-r3\n${"F:x\n".repeat(10_000)}` },
      ]);
      const catalogers = defaultCatalogers();
      const findings = [
        await catalogLayer(layerOf(small, TAR), catalogers, { maxFileSize: 1000 }),
        await catalogLayer(layerOf(big, TAR), catalogers, { maxFileSize: 1000 }),
      ];
      assert.deepEqual(findings[1]!.hidden, ["lib/apk/db/installed"]);
      assert.match(
        findings[1]!.warnings[0]!,
        /lib\/apk\/db\/installed is \d+ bytes, over the 1000-byte limit/,
      );
      const merged = mergeLayers(
        findings,
        findings.map((f, index) => ({ index, digest: f.digest })),
      );
      assert.deepEqual(merged.packages, []);
    },
  );

  test("a hard link to a file no cataloger read: a warning, not a guess", TIMEOUT, async () => {
    const tar = await makeTar([
      { name: "usr/share/doc/x/manifest.json", content: '{"name":"x","version":"1.0.0"}' },
      { name: "app/node_modules/x/package.json", type: "link", linkname: "usr/share/doc/x/manifest.json" },
      // A target in no earlier entry of this layer (a lower layer's file): nothing to read either.
      {
        name: "app/node_modules/y/package.json",
        type: "link",
        linkname: "usr/lib/node_modules/y/package.json",
      },
    ]);
    const findings = await catalogLayer(layerOf(tar, TAR), defaultCatalogers());
    assert.deepEqual(findings.files, []);
    assert.deepEqual(findings.hidden, ["app/node_modules/x/package.json", "app/node_modules/y/package.json"]);
    assert.equal(findings.warnings.length, 2);
    assert.match(
      findings.warnings[0]!,
      /hard link to "usr\/share\/doc\/x\/manifest.json", whose content was not kept/,
    );
    assert.match(
      findings.warnings[1]!,
      /app\/node_modules\/y\/package.json is a hard link to .*no file earlier/,
    );
  });

  test("a layer of a media type that is no file system (an attestation) is not read", TIMEOUT, async () => {
    let opened = false;
    const layer: LayerInput = {
      digest: "sha256:attestation",
      mediaType: "application/vnd.in-toto+json",
      open: async () => {
        opened = true;
        return Readable.from([Buffer.from("{}")]);
      },
    };
    const findings = await catalogLayer(layer, defaultCatalogers());
    assert.equal(opened, false);
    assert.match(findings.warnings[0]!, /application\/vnd\.in-toto\+json is not a file system layer/);
  });
});
