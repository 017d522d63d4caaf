import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { isWharfError } from "../../src/errors.ts";
import { readElf } from "../../src/scan/catalog/binaries/elf.ts";
import { readAuditData } from "../../src/scan/catalog/binaries/rust-auditable.ts";
import { rustBinaryCataloger } from "../../src/scan/catalog/binaries/rust-binary.ts";
import type { FoundPackage } from "../../src/scan/catalog/types.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir("wharf-rust-");

// cargo-auditable's format: zlib-compressed JSON, as `cargo auditable build` embeds it.
const AUDIT = {
  packages: [
    {
      name: "myapp",
      version: "0.3.1",
      source: "local",
      kind: "runtime",
      dependencies: [1, 2, 3],
      root: true,
    },
    { name: "serde", version: "1.0.188", source: "crates.io", dependencies: [3] },
    { name: "cc", version: "1.0.83", source: "crates.io", kind: "build", dependencies: [] },
    { name: "libc", version: "0.2.148", source: "crates.io", kind: "runtime", dependencies: [] },
    { name: "forked", version: "0.1.0-alpha.2", source: "git", kind: "runtime" },
  ],
};

/** /bin/true with a `.dep-v0` section holding `section`, added by binutils' objcopy. */
function withDepSection(name: string, section: Buffer): string {
  const file = join(dir, `${name}.section`);
  const out = join(dir, name);
  writeFileSync(file, section);
  execFileSync("objcopy", ["--add-section", `.dep-v0=${file}`, "/bin/true", out]);
  return out;
}

function catalog(path: string, content: Buffer = readFileSync(path)): FoundPackage[] {
  return rustBinaryCataloger.read({ path, mode: 0o755, content }) as FoundPackage[];
}

const invalid = (path: string, why: RegExp) => (err: unknown) =>
  isWharfError(err, "SCAN_BINARY_INVALID") && err.message.startsWith(`${path}: `) && why.test(err.message);

test("a binary with a real .dep-v0 section: its runtime crates, build dependencies left out", () => {
  const compressed = deflateSync(JSON.stringify(AUDIT));
  const binary = withDepSection("myapp", compressed);
  // The section objcopy wrote is the one binutils reads back.
  const dumped = join(dir, "dumped");
  execFileSync("objcopy", ["--dump-section", `.dep-v0=${dumped}`, binary, join(dir, "scratch")]);
  assert.ok(readFileSync(dumped).equals(compressed));

  assert.deepEqual(catalog(binary), [
    { type: "cargo", name: "myapp", version: "0.3.1" },
    { type: "cargo", name: "serde", version: "1.0.188" },
    { type: "cargo", name: "libc", version: "0.2.148" },
    { type: "cargo", name: "forked", version: "0.1.0-alpha.2" },
  ]);
  const audit = readAuditData(readElf(binary, readFileSync(binary)));
  assert.deepEqual(audit?.[0], {
    name: "myapp",
    version: "0.3.1",
    source: "local",
    kind: "runtime",
    dependencies: [1, 2, 3],
    root: true,
  });
  // Schema defaults: kind runtime, no dependencies, not the root.
  assert.deepEqual(audit?.[1], {
    name: "serde",
    version: "1.0.188",
    source: "crates.io",
    kind: "runtime",
    dependencies: [3],
    root: false,
  });
});

test("ordinary Rust binaries without the section, and files that are not ELF: no packages", (t) => {
  const rustBinaries = ["/root/.cargo/bin/rustup", "/root/.cargo/bin/cargo", "/root/.cargo/bin/rustc"].filter(
    (p) => existsSync(p),
  );
  if (rustBinaries.length === 0) return t.skip("no Rust toolchain binaries on this machine");
  for (const path of rustBinaries) {
    const content = readFileSync(path);
    assert.ok(content.includes("rust_panic"), `${path} is a Rust program`);
    assert.deepEqual(catalog(path, content), [], path);
  }
  assert.deepEqual(catalog("/bin/true"), []);
  assert.deepEqual(catalog("run.sh", Buffer.from(`#!/bin/sh\n${"exec true\n".repeat(200)}`)), []);
});

test("a damaged .dep-v0 section is SCAN_BINARY_INVALID naming the path", () => {
  const cases: [string, Buffer, RegExp][] = [
    ["garbage", Buffer.from("this is not zlib data at all"), /is not zlib data/],
    ["truncated", deflateSync(JSON.stringify(AUDIT)).subarray(0, 20), /is not zlib data/],
    ["not-json", deflateSync("{packages: oops"), /is not JSON/],
    ["no-list", deflateSync(JSON.stringify({ crates: [] })), /no "packages" list/],
    ["no-version", deflateSync(JSON.stringify({ packages: [{ name: "x" }] })), /package 0: no version/],
    [
      "odd-kind",
      deflateSync(JSON.stringify({ packages: [{ name: "x", version: "1", kind: "dev" }] })),
      /kind/,
    ],
    // A zip bomb: 9 MiB of JSON whitespace compresses to a few KiB; reading stops at 8 MiB.
    ["bomb", deflateSync(Buffer.alloc(9 * 1024 * 1024, 0x20)), /inflates to more than 8388608 bytes/],
  ];
  for (const [name, section, why] of cases) {
    const binary = withDepSection(name, section);
    assert.throws(() => catalog(binary), invalid(binary, why), name);
  }
});

test("the cataloger wants executables of a sane size", () => {
  assert.equal(rustBinaryCataloger.name, "rust-binary");
  assert.ok(rustBinaryCataloger.wants("usr/local/bin/rg", 4_000_000, 0o100755));
  assert.ok(rustBinaryCataloger.wants("usr/local/bin/rg", 4_000_000, 0o100700));
  assert.ok(!rustBinaryCataloger.wants("usr/local/lib/librg.rlib", 4_000_000, 0o100644));
  assert.ok(!rustBinaryCataloger.wants("usr/local/bin/rg", 1000, 0o755));
});
