/**
 * The npm and Python catalogers on real installed packages: this repository's node_modules and
 * the system's global npm (usr/lib/node_modules), and the Python distributions of this Debian
 * machine (checked against what Python's own importlib.metadata reads from the same files).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isWharfError } from "../../src/errors.ts";
import { npmCataloger, readPackageJson } from "../../src/scan/catalog/npm.ts";
import { pythonCataloger, readPythonMetadata } from "../../src/scan/catalog/python.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

function packageJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...packageJsonFiles(full));
    else if (entry.isFile() && entry.name === "package.json") out.push(full);
  }
  return out;
}

describe("npm", () => {
  test("every package.json of this repository's node_modules with a name and a version is a package", () => {
    const files = packageJsonFiles(join(REPO, "node_modules"));
    let packages = 0;
    let skipped = 0;
    for (const file of files) {
      const path = relative(REPO, file);
      assert.ok(npmCataloger.wants(path, 100, 0o644), path);
      const json = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
      const found = readPackageJson({ path, mode: 0o644, content: readFileSync(file) });
      if (typeof json.name === "string" && typeof json.version === "string") {
        assert.deepEqual(
          found.map((p) => [p.type, p.name, p.version]),
          [["npm", json.name, json.version]],
          path,
        );
        packages += 1;
      } else {
        assert.deepEqual(found, [], path);
        skipped += 1;
      }
    }
    assert.ok(packages > 50 && skipped > 0, `${packages} packages, ${skipped} skipped`);
    // A module-type marker inside a package is not a package.
    const marker = join(REPO, "node_modules/zod/v4/classic/package.json");
    if (existsSync(marker)) {
      assert.deepEqual(
        readPackageJson({
          path: "app/node_modules/zod/v4/classic/package.json",
          mode: 0o644,
          content: readFileSync(marker),
        }),
        [],
      );
    }
  });

  test("the global npm of this machine, its version as `npm --version` prints it", (t) => {
    const manifest = "/usr/lib/node_modules/npm/package.json";
    if (!existsSync(manifest) || spawnSync("npm", ["--version"]).status !== 0)
      return t.skip("no global npm here");
    const path = "usr/lib/node_modules/npm/package.json";
    assert.ok(npmCataloger.wants(path, 100, 0o644));
    const [found] = readPackageJson({ path, mode: 0o644, content: readFileSync(manifest) });
    assert.equal(found?.name, "npm");
    assert.equal(found?.version, execFileSync("npm", ["--version"], { encoding: "utf8" }).trim());
    assert.deepEqual(found?.licenses, ["Artistic-2.0"]);
  });

  test("only package.json files below node_modules are wanted", () => {
    assert.ok(npmCataloger.wants("usr/local/lib/node_modules/corepack/package.json", 10, 0o644));
    assert.ok(npmCataloger.wants("app/node_modules/@scope/name/package.json", 10, 0o644));
    assert.ok(!npmCataloger.wants("app/package.json", 10, 0o644));
    assert.ok(!npmCataloger.wants("app/node_modules/x/package.json.orig", 10, 0o644));
    assert.ok(!npmCataloger.wants("node_modules_backup/x/package.json", 10, 0o644));
  });

  test("license forms; a scoped name is kept whole", () => {
    const read = (json: unknown) =>
      readPackageJson({
        path: "node_modules/x/package.json",
        mode: 0o644,
        content: Buffer.from(JSON.stringify(json)),
      });
    assert.deepEqual(read({ name: "@scope/x", version: "1.0.0", license: { type: "ISC" } }), [
      { type: "npm", name: "@scope/x", version: "1.0.0", licenses: ["ISC"] },
    ]);
    assert.deepEqual(
      read({ name: "x", version: "1.0.0", licenses: [{ type: "MIT" }, "Apache-2.0"] })[0]?.licenses,
      ["MIT", "Apache-2.0"],
    );
    assert.deepEqual(read({ name: "x", version: 1 }), []);
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"name":"b","version":"2.0.0"}'),
    ]);
    assert.equal(
      readPackageJson({ path: "node_modules/b/package.json", mode: 0o644, content: bom })[0]?.version,
      "2.0.0",
    );
  });

  test("a package.json that is not JSON, or not an object, is SCAN_PACKAGE_DB_INVALID naming it", () => {
    const path = "app/node_modules/broken/package.json";
    for (const text of ['{"name": "broken", "version": ', "[1, 2]", "null"]) {
      assert.throws(
        () => readPackageJson({ path, mode: 0o644, content: Buffer.from(text) }),
        (err) => isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && err.message.startsWith(`${path}: `),
      );
    }
  });
});

const DIST_PACKAGES = "/usr/lib/python3/dist-packages";

/** What importlib.metadata reads from the same directory: name, version and metadata file. */
function pythonDistributions(): { name: string; version: string; file: string }[] {
  const script = [
    "import importlib.metadata as m, json, os",
    `ds = m.distributions(path=[${JSON.stringify(DIST_PACKAGES)}])`,
    "out = []",
    "for d in ds:",
    "    p = str(d._path)",
    "    f = os.path.join(p, 'METADATA' if p.endswith('.dist-info') else 'PKG-INFO') if os.path.isdir(p) else p",
    "    out.append({'name': d.metadata['Name'], 'version': d.version, 'file': f})",
    "print(json.dumps(out))",
  ].join("\n");
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" }));
}

describe("python", () => {
  const havePython = existsSync("/usr/bin/python3") && existsSync(DIST_PACKAGES);

  test("every distribution in this machine's dist-packages, as importlib.metadata reads it", {
    skip: !havePython && "no /usr/bin/python3 or dist-packages",
  }, () => {
    const expected = pythonDistributions();
    assert.ok(expected.length > 10, `${expected.length} distributions`);
    assert.ok(
      expected.some((d) => d.file.endsWith("METADATA")) && expected.some((d) => d.file.endsWith("PKG-INFO")),
    );
    for (const { name, version, file } of expected) {
      const path = file.slice(1);
      assert.ok(pythonCataloger.wants(path, 100, 0o644), path);
      const found = readPythonMetadata({ path, mode: 0o644, content: readFileSync(file) });
      assert.deepEqual(
        found.map((p) => [p.type, p.name, p.version]),
        [["pypi", name, version]],
        path,
      );
    }
    const yaml = expected.find((d) => d.name === "PyYAML");
    if (yaml) {
      const [found] = readPythonMetadata({
        path: yaml.file.slice(1),
        mode: 0o644,
        content: readFileSync(yaml.file),
      });
      assert.deepEqual(found?.licenses, ["MIT"]);
    }
  });

  test("a single-file .egg-info (distutils)", (t) => {
    const candidates = ["/root/.pyenv/versions/2.7.18/lib/python2.7/wsgiref.egg-info"];
    const file = candidates.find((f) => existsSync(f));
    if (file === undefined) return t.skip("no single-file egg-info on this machine");
    const path = file.slice(1);
    assert.ok(pythonCataloger.wants(path, 100, 0o644));
    const [found] = readPythonMetadata({ path, mode: 0o644, content: readFileSync(file) });
    const text = readFileSync(file, "utf8");
    assert.equal(found?.name, /^Name: (.*)$/m.exec(text)![1]);
    assert.equal(found?.version, /^Version: (.*)$/m.exec(text)![1]);
  });

  test("licenses: License-Expression, a short License, else the classifiers", () => {
    const read = (text: string) =>
      readPythonMetadata({ path: "x-1.dist-info/METADATA", mode: 0o644, content: Buffer.from(text) })[0]
        ?.licenses;
    assert.deepEqual(read("Name: x\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n"), [
      "MIT OR Apache-2.0",
    ]);
    assert.deepEqual(
      read(
        "Name: x\nVersion: 1\nLicense: Copyright (c) x\n        all rights\nClassifier: License :: OSI Approved :: BSD License\n\nbody",
      ),
      ["BSD License"],
    );
    assert.equal(read("Name: x\nVersion: 1\nLicense: UNKNOWN\n"), undefined);
  });

  test("metadata without a name or version, or not metadata, is SCAN_PACKAGE_DB_INVALID naming it", () => {
    const path = "usr/lib/python3/dist-packages/x-1.dist-info/METADATA";
    for (const content of [
      Buffer.from("Name: x\n\nVersion: 1\n"),
      readFileSync("/bin/true").subarray(0, 1024),
    ]) {
      assert.throws(
        () => readPythonMetadata({ path, mode: 0o644, content }),
        (err) => isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && err.message.startsWith(`${path}: `),
      );
    }
    assert.ok(!pythonCataloger.wants("usr/lib/python3/dist-packages/x-1.dist-info/RECORD", 10, 0o644));
  });
});
