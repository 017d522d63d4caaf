/**
 * The OS package catalogers on real databases: this machine's dpkg status (checked against what
 * dpkg-query says of the same file), distroless status.d paragraphs cut from it, an apk installed
 * database in apk's own format, and os-release files (this machine's, and quoting cases).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { apkCataloger, readApkInstalled } from "../../src/scan/catalog/apk.ts";
import { dpkgCataloger, readDpkgStatus } from "../../src/scan/catalog/dpkg.ts";
import { osInfo, parseOsRelease } from "../../src/scan/catalog/os-release.ts";

const STATUS = readFileSync("/var/lib/dpkg/status");
const paragraphs = STATUS.toString("utf8").trim().split(/\n\n+/);

describe("dpkg", () => {
  test("reads every installed package of this machine's status file as dpkg-query does", () => {
    const found = readDpkgStatus({ path: "var/lib/dpkg/status", mode: 0o644, content: STATUS });
    const query = execFileSync(
      "dpkg-query",
      [
        "-W",
        "-f",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
        "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n",
      ],
      { encoding: "utf8" },
    );
    const expected = query
      .trim()
      .split("\n")
      .map((line) => line.split("\t"))
      .filter(([abbrev]) => abbrev!.startsWith("ii"))
      .map(([, name, version, arch, sourceName, sourceVersion]) => ({
        name,
        version,
        arch,
        sourceName,
        sourceVersion,
      }));
    assert.ok(expected.length > 100, `only ${expected.length} packages installed here`);
    const actual = found.map((p) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      // dpkg-query reports the package itself as its own source when the paragraph names none.
      sourceName: p.sourceName ?? p.name,
      sourceVersion: p.sourceVersion ?? p.version,
    }));
    const byName = (a: { name?: string; arch?: string }, b: typeof a) =>
      `${a.name}:${a.arch}` < `${b.name}:${b.arch}` ? -1 : 1;
    assert.deepEqual(actual.sort(byName), expected.sort(byName));
    assert.ok(found.every((p) => p.type === "deb" && p.licenses === undefined));
    const withSourceVersion = found.find((p) => p.sourceVersion !== undefined);
    assert.ok(withSourceVersion, "some package here has `Source: name (version)`");
    assert.notEqual(withSourceVersion.sourceVersion, withSourceVersion.version);
  });

  test("leaves out packages that are not installed (removed with their config files kept, half-installed)", () => {
    const [first, second, third] = paragraphs as [string, string, string];
    const removed = first.replace(/^Status: .*$/m, "Status: deinstall ok config-files");
    const half = second.replace(/^Status: .*$/m, "Status: install reinstreq half-installed");
    const held = third.replace(/^Status: .*$/m, "Status: hold ok installed");
    const content = Buffer.from([removed, half, held].join("\n\n"));
    const found = readDpkgStatus({ path: "var/lib/dpkg/status", mode: 0o644, content });
    assert.deepEqual(
      found.map((p) => p.name),
      [/^Package: (.*)$/m.exec(third)![1]],
    );
  });

  test("distroless status.d: one paragraph a file, no Status field, file lists ignored", () => {
    const paragraph = paragraphs.find((p) => /^Source: .* \(/m.test(p))!;
    const content = Buffer.from(paragraph.replace(/^Status: .*\n/m, ""));
    const name = /^Package: (.*)$/m.exec(paragraph)![1]!;
    const path = `var/lib/dpkg/status.d/${name}`;
    assert.ok(dpkgCataloger.wants(path, content.length, 0o644));
    assert.ok(!dpkgCataloger.wants(`${path}.md5sums`, 100, 0o644));
    assert.ok(!dpkgCataloger.wants("var/lib/dpkg/status-old", 100, 0o644));
    assert.ok(!dpkgCataloger.wants("var/lib/dpkg/status.d/sub/x", 100, 0o644));
    const [found] = readDpkgStatus({ path, mode: 0o644, content });
    assert.equal(found?.name, name);
    assert.equal(found?.version, /^Version: (.*)$/m.exec(paragraph)![1]);
    const source = /^Source: (\S+) \((\S+)\)$/m.exec(paragraph)!;
    assert.equal(found?.sourceName, source[1]);
    assert.equal(found?.sourceVersion, source[2]);
  });

  test("a file that is not a status file is SCAN_PACKAGE_DB_INVALID naming it", () => {
    for (const content of [
      readFileSync("/bin/true").subarray(0, 4096),
      Buffer.from("Package: x\nthis line is junk\n"),
    ]) {
      assert.throws(
        () => readDpkgStatus({ path: "var/lib/dpkg/status", mode: 0o644, content }),
        (err) =>
          isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && err.message.startsWith("var/lib/dpkg/status: "),
      );
    }
  });
});

/** An Alpine 3.18 installed database in apk's format: three packages, their file lists kept. */
const APK_INSTALLED = `C:Q1fXq0pk8qs8QM8Q2oTQyImA8cP5s=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1698066744
c:9a2a9bd31dbe4a8e4ad4e2cb0ee0e6b3ea2b1f0d
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1DfqPD7bPGUHP1X0U4dPNbBNBxXw=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1g0xqFq0qRr8M3WnD6Km5LZ4bF3Q=
P:libcrypto3
V:3.1.4-r1
A:x86_64
S:1716738
I:4096000
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1698153416
c:d8e9b5a0f2bbb0dbc2b0b46b6a3d0e0b7f2d5c6f
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:etc
F:etc/ssl
R:openssl.cnf
Z:Q1dgO2vp9JVu6Yh1p8a8fuFPNrDAI=

C:Q1KkZ1Ovhe1VmEUWXvYGmbxfMlSvo=
P:busybox
V:1.36.1-r5
A:x86_64
S:508354
I:946176
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1698148540
c:e0c8a9de3a56f3b4b0e7e33a33f0b41e7a6e8e0b
D:so:libc.musl-x86_64.so.1
F:bin
R:busybox
a:0:0:755
Z:Q1WUwBY0eOGgzgVxTZxU/9X3ILYh0=

C:Q1old0000000000000000000000000=
P:scanelf
V:1.3.7-r1
A:x86_64
L:GPL-2.0-only MIT BSD
o:pax-utils
`;

describe("apk", () => {
  test("reads name, version, arch, origin and licenses of every package", () => {
    assert.ok(apkCataloger.wants("lib/apk/db/installed", 100, 0o644));
    assert.ok(!apkCataloger.wants("lib/apk/db/triggers", 100, 0o644));
    const found = readApkInstalled({
      path: "lib/apk/db/installed",
      mode: 0o644,
      content: Buffer.from(APK_INSTALLED),
    });
    assert.deepEqual(found, [
      {
        type: "apk",
        name: "musl",
        version: "1.2.4-r2",
        arch: "x86_64",
        sourceName: "musl",
        licenses: ["MIT"],
      },
      {
        type: "apk",
        name: "libcrypto3",
        version: "3.1.4-r1",
        arch: "x86_64",
        sourceName: "openssl",
        licenses: ["Apache-2.0"],
      },
      {
        type: "apk",
        name: "busybox",
        version: "1.36.1-r5",
        arch: "x86_64",
        sourceName: "busybox",
        licenses: ["GPL-2.0-only"],
      },
      // An old space-separated license list is split; the database may end without a blank line.
      {
        type: "apk",
        name: "scanelf",
        version: "1.3.7-r1",
        arch: "x86_64",
        sourceName: "pax-utils",
        licenses: ["GPL-2.0-only", "MIT", "BSD"],
      },
    ]);
  });

  test("an SPDX expression stays one license", () => {
    const content = Buffer.from("P:x\nV:1-r0\nL:MIT AND (GPL-2.0-only OR BSD-3-Clause)\n");
    const [found] = readApkInstalled({ path: "lib/apk/db/installed", mode: 0o644, content });
    assert.deepEqual(found?.licenses, ["MIT AND (GPL-2.0-only OR BSD-3-Clause)"]);
  });

  test("a file that is not an apk database is SCAN_PACKAGE_DB_INVALID naming it", () => {
    for (const content of [STATUS.subarray(0, 2000), readFileSync("/bin/true").subarray(0, 512)]) {
      assert.throws(
        () => readApkInstalled({ path: "lib/apk/db/installed", mode: 0o644, content }),
        (err) =>
          isWharfError(err, "SCAN_PACKAGE_DB_INVALID") && err.message.startsWith("lib/apk/db/installed: "),
      );
    }
  });
});

describe("os-release", () => {
  test("this machine's os-release", () => {
    const text = readFileSync("/usr/lib/os-release", "utf8");
    const fields = parseOsRelease(text);
    const id = /^ID=(.*)$/m.exec(text)![1]!.replace(/"/g, "");
    assert.equal(fields.ID, id);
    assert.equal(osInfo(fields).id, id);
    assert.ok(fields.PRETTY_NAME && !fields.PRETTY_NAME.includes('"'));
  });

  test("quotes, escapes, comments and junk lines", () => {
    const fields = parseOsRelease(
      [
        "# a comment",
        'NAME="Red Hat Enterprise Linux"',
        "ID=rhel",
        'ID_LIKE="fedora"',
        "VERSION_ID='9.2'",
        'PRETTY_NAME="Say \\"hi\\" \\$HOME \\\\ \\n"',
        "ODD=a\\ b'c d'\"e\"",
        "not an assignment",
        "1BAD=x",
        "",
      ].join("\n"),
    );
    assert.deepEqual(fields, {
      NAME: "Red Hat Enterprise Linux",
      ID: "rhel",
      ID_LIKE: "fedora",
      VERSION_ID: "9.2",
      PRETTY_NAME: 'Say "hi" $HOME \\ \\n',
      ODD: "a bc de",
    });
    assert.deepEqual(osInfo(fields), {
      id: "rhel",
      idLike: ["fedora"],
      versionId: "9.2",
      prettyName: 'Say "hi" $HOME \\ \\n',
    });
    assert.deepEqual(osInfo({}), { id: "linux", idLike: [] });
  });
});
