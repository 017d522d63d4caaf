import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { readElf } from "../../src/scan/catalog/binaries/elf.ts";
import { goBinaryCataloger, stdlibVersion } from "../../src/scan/catalog/binaries/go-binary.ts";
import { readGoBuildInfo } from "../../src/scan/catalog/binaries/go-buildinfo.ts";
import { GoModInfoError, parseGoModInfo } from "../../src/scan/catalog/binaries/go-modinfo.ts";
import type { FoundPackage } from "../../src/scan/catalog/types.ts";

const RUNC = "/usr/sbin/runc";
const DOCKER = "/usr/bin/docker";
const SKOPEO = "/usr/bin/skopeo";
// Go binaries built in module mode (Debian builds its Go packages in GOPATH mode: no modules).
const TERRAFORM = "/usr/local/bin/terraform";
const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
const SEMVER = /^v\d+\.\d+\.\d+(?:[-+].*)?$/;

function catalog(path: string, content: Buffer = readFileSync(path)): FoundPackage[] {
  return goBinaryCataloger.read({ path, mode: 0o755, content }) as FoundPackage[];
}

function isBinaryInvalid(path: string) {
  return (err: unknown) => isWharfError(err, "SCAN_BINARY_INVALID") && err.message.startsWith(`${path}: `);
}

test("runc: the Go version runc --version prints, its main package path, stdlib", () => {
  const printed = spawnSync(RUNC, ["--version"], { encoding: "utf8" }).stdout;
  const goVersion = /^go: (go\S+)$/m.exec(printed)?.[1];
  assert.ok(goVersion, `runc --version printed no Go version: ${printed}`);
  const content = readFileSync(RUNC);
  const raw = readGoBuildInfo(readElf(RUNC, content));
  assert.equal(raw?.goVersion, goVersion);
  const info = parseGoModInfo(raw.modinfo);
  assert.equal(info.path, "github.com/opencontainers/runc");
  // Debian's runc is built in GOPATH mode: it records its package path and build settings but no
  // modules, so the Go standard library is all there is to report.
  assert.equal(info.main, undefined);
  assert.deepEqual(info.deps, []);
  assert.ok(info.settings.some((s) => s.key === "GOOS" && s.value === "linux"));
  assert.deepEqual(catalog(RUNC, content), [
    { type: "golang", name: "stdlib", version: goVersion.slice(2), goVersion },
  ]);
});

test("docker and skopeo: the Go version docker version prints, stdlib of each", () => {
  const printed = spawnSync(DOCKER, ["version", "-f", "{{.Client.GoVersion}}"], { encoding: "utf8" });
  const goVersion = printed.stdout.trim().split("\n")[0]!;
  assert.match(goVersion, /^go1\.\d+/);
  assert.deepEqual(
    catalog(DOCKER).find((p) => p.name === "stdlib"),
    { type: "golang", name: "stdlib", version: goVersion.slice(2), goVersion },
  );
  if (!existsSync(SKOPEO)) return;
  const skopeo = catalog(SKOPEO);
  assert.equal(skopeo.length, 1);
  assert.match(skopeo[0]!.version, /^1\.\d+(\.\d+)?$/);
});

test("terraform: every dep of its module info, replaced ones as their replacement", (t) => {
  if (!existsSync(TERRAFORM)) return t.skip(`${TERRAFORM} is not on this machine`);
  const content = readFileSync(TERRAFORM);
  const packages = catalog(TERRAFORM, content);
  // Independently of the parser: the dep lines as the raw bytes hold them (Go 1.18+ binaries hold
  // the module info twice, hence the set).
  const text = content.toString("latin1");
  const rawDeps = new Set([...text.matchAll(/^dep\t([^\t\n]+)\t([^\t\n]+)/gm)].map((m) => `${m[1]}@${m[2]}`));
  const info = parseGoModInfo(readGoBuildInfo(readElf(TERRAFORM, content))!.modinfo);
  assert.equal(info.deps.length, rawDeps.size);
  assert.deepEqual(new Set(info.deps.map((d) => `${d.path}@${d.version}`)), rawDeps);
  assert.ok(info.deps.length > 100);

  const names = new Set(packages.map((p) => `${p.name}@${p.version}`));
  const replaced = info.deps.filter((d) => d.replace !== undefined);
  assert.ok(replaced.length > 0, "terraform replaces some modules");
  for (const dep of replaced) {
    const by = dep.replace!;
    assert.equal(names.has(`${by.path}@${by.version}`), by.version !== "(devel)", by.path);
    if (`${by.path}@${by.version}` !== `${dep.path}@${dep.version}`) {
      assert.ok(!names.has(`${dep.path}@${dep.version}`), `${dep.path} reported unreplaced`);
    }
  }
  // Its main module is a checkout, "(devel)": not a package.
  assert.equal(info.main?.version, "(devel)");
  assert.ok(!packages.some((p) => p.name === "github.com/hashicorp/terraform"));
  const sys = packages.find((p) => p.name === "golang.org/x/sys");
  assert.match(sys?.version ?? "", SEMVER);
  for (const p of packages.filter((p) => p.name !== "stdlib")) assert.match(p.version, SEMVER, p.name);
});

test("kubectl: main module and Go version as kubectl version reports them", (t) => {
  if (!existsSync(KUBECTL)) return t.skip(`${KUBECTL} is not on this machine`);
  const printed = spawnSync(KUBECTL, ["version", "--client", "-o", "json"], { encoding: "utf8" }).stdout;
  const client = (JSON.parse(printed) as { clientVersion: { gitVersion: string; goVersion: string } })
    .clientVersion;
  const packages = catalog(KUBECTL);
  assert.deepEqual(packages[0], {
    type: "golang",
    name: "k8s.io/kubernetes",
    version: client.gitVersion,
    goVersion: client.goVersion,
  });
  assert.equal(packages.at(-1)?.name, "stdlib");
  assert.equal(packages.at(-1)?.version, client.goVersion.slice(2));
  assert.ok(packages.every((p) => p.goVersion === client.goVersion));
  assert.match(packages.find((p) => p.name === "github.com/spf13/cobra")?.version ?? "", SEMVER);
});

test("a truncated Go binary is SCAN_BINARY_INVALID naming its path", () => {
  const content = readFileSync(RUNC);
  for (const size of [100, content.length >> 1, content.length - 1]) {
    assert.throws(
      () => catalog("usr/sbin/runc", content.subarray(0, size)),
      isBinaryInvalid("usr/sbin/runc"),
    );
  }
});

test("the cataloger wants executables of a sane size and ignores what is not Go or not ELF", () => {
  assert.equal(goBinaryCataloger.name, "go-binary");
  assert.ok(goBinaryCataloger.wants("usr/bin/app", 5_000_000, 0o100755));
  assert.ok(!goBinaryCataloger.wants("usr/bin/app", 5_000_000, 0o100644));
  assert.ok(!goBinaryCataloger.wants("usr/bin/tiny", 100, 0o755));
  assert.ok(!goBinaryCataloger.wants("usr/bin/huge", 600 * 1024 * 1024, 0o755));
  assert.deepEqual(catalog("/bin/true"), []);
  assert.deepEqual(catalog("script.sh", Buffer.from(`#!/bin/sh\n${"echo hi\n".repeat(200)}`)), []);
});

test("stdlib versions: release, experiments, development toolchains", () => {
  assert.equal(stdlibVersion("go1.19.8"), "1.19.8");
  assert.equal(stdlibVersion("go1.22.0 X:boringcrypto"), "1.22.0");
  assert.equal(stdlibVersion("go1.21rc2"), "1.21rc2");
  assert.equal(stdlibVersion("devel go1.23-1a2b3c Tue Jan 1 00:00:00 2024 +0000"), undefined);
});

test("module info: replacements, quoted build settings, and what Go's parser refuses", () => {
  const info = parseGoModInfo(
    [
      "path\texample.com/cmd/tool",
      "mod\texample.com\t(devel)\t",
      "dep\tgithub.com/a/b\tv1.0.0\th1:x=",
      "=>\tgithub.com/fork/b\tv1.0.1\th1:y=",
      'build\t-ldflags="-X main.version=1.2.3 -s"',
      'build\t"key with space"=`raw value`',
      "build\tvcs.modified=false",
      'build\tescaped="tab\\there \\u00e9 \\x41"',
      "dep\tignored/last/line\tv1.0.0", // no final newline: Go ignores it
    ].join("\n"),
  );
  assert.equal(info.path, "example.com/cmd/tool");
  assert.deepEqual(info.main, { path: "example.com", version: "(devel)", sum: "" });
  assert.deepEqual(info.deps, [
    {
      path: "github.com/a/b",
      version: "v1.0.0",
      sum: "h1:x=",
      replace: { path: "github.com/fork/b", version: "v1.0.1", sum: "h1:y=" },
    },
  ]);
  assert.deepEqual(info.settings, [
    { key: "-ldflags", value: "-X main.version=1.2.3 -s" },
    { key: "key with space", value: "raw value" },
    { key: "vcs.modified", value: "false" },
    { key: "escaped", value: "tab\there é A" },
  ]);

  const refused = (text: string, why: RegExp) =>
    assert.throws(
      () => parseGoModInfo(`${text}\n`),
      (err: unknown) => err instanceof GoModInfoError && why.test(err.message),
    );
  refused("dep\tonly-path", /line 1: expected 2 or 3 columns; got 1/);
  refused("path\tx\n=>\ta\tb\tc", /line 2: replacement with no module/);
  refused("dep\ta\tv1\n=>\tb\tv2", /expected 3 columns for replacement; got 2/);
  refused("build\tnoequals", /missing '='/);
  refused("build\t=v", /missing key/);
  refused("build\tk=has space", /must be quoted/);
  refused('build\tk="unterminated', /invalid quoted value/);
  refused('build\t"k"v', /missing '=' after quoted key/);
});
