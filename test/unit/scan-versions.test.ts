/**
 * Version ordering per OSV ecosystem (src/scan/versions): every comparison of the shared corpus
 * (osv-scalibr's semantic/testdata, read from ../shared/corpus/versions at test time) in both
 * directions, then the ecosystems the corpus does not cover (Maven, Go) and the entry point's
 * handling of ecosystem names, validity and errors.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { compareVersions, isValidVersion, versionOrderFor } from "../../src/scan/versions/index.ts";
import { CORPUS_DIR } from "../corpus.ts";

/**
 * Lines of the corpus this ordering decides differently, each with the reason. The test checks
 * that each one still disagrees, so a skip cannot outlive its reason.
 */
const SKIPPED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "alpine-versions.txt": {
    "1-r = 1-r0":
      "apk-tools 3 rejects a revision without a number ('!0.1-r' in its test/unit/version.data) and orders " +
      "1-r below 1-r0; the line is apk-tools 2's answer, which read the empty number as 0",
    "1-r0-1 = 1-r-2":
      "apk-tools 3 reads revision 0 of 1-r0-1 before its stray '-1' and finds 1-r-2's revision invalid, so it " +
      "orders 1-r0-1 above; the line is apk-tools 2's answer, which gave up on both at the same point",
  },
};

interface CorpusLine {
  line: string;
  a: string;
  b: string;
  /** -1, 0 or 1: what `a` against `b` must give. */
  expected: number;
}

const RESULTS: Readonly<Record<string, number>> = { "<": -1, "=": 0, ">": 1 };

/** The corpus's comparisons; "#" and "//" lines are comments (osv-scalibr's compare_test.go skips both). */
function readCorpus(file: string): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const line of readFileSync(`${CORPUS_DIR}versions/${file}`, "utf8").split("\n")) {
    if (line.trim() === "" || line.startsWith("#") || line.startsWith("//")) continue;
    const [a, op, b, ...rest] = line.split(" ");
    const expected = RESULTS[op ?? ""];
    assert.ok(a && b && expected !== undefined && rest.length === 0, `${file}: unreadable line "${line}"`);
    lines.push({ line, a, b, expected });
  }
  return lines;
}

/** What the ordering says for a line, both ways: "" when it agrees, else how it disagrees. */
function disagreement(ecosystem: string, { a, b, expected }: CorpusLine): string {
  try {
    const forward = Math.sign(compareVersions(ecosystem, a, b));
    const backward = Math.sign(compareVersions(ecosystem, b, a));
    if (forward === expected && backward === -expected) return "";
    return `got ${forward} one way and ${backward} the other`;
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

const CORPUS_FILES: readonly [file: string, ecosystems: readonly string[], minimumLines: number][] = [
  ["alpine-versions.txt", ["Alpine", "Wolfi"], 700],
  ["alpine-versions-generated.txt", ["Alpine:v3.18"], 13000],
  ["debian-versions.txt", ["Debian", "Ubuntu:22.04:LTS"], 25],
  ["debian-versions-generated.txt", ["Debian:12"], 14000],
  ["pypi-versions.txt", ["PyPI"], 30],
  ["pypi-versions-generated.txt", ["PyPI"], 12000],
  ["redhat-versions.txt", ["Red Hat", "Rocky Linux:9", "openSUSE:Leap 15.5"], 150],
  ["semver-versions.txt", ["npm", "crates.io", "Go"], 80],
];

describe("the shared version corpus, both directions of every line", () => {
  for (const [file, ecosystems, minimumLines] of CORPUS_FILES) {
    for (const ecosystem of ecosystems) {
      it(`${file} as ${ecosystem}`, () => {
        const lines = readCorpus(file);
        assert.ok(lines.length >= minimumLines, `${file}: only ${lines.length} comparisons read`);
        const skips = SKIPPED[file] ?? {};
        const failures: string[] = [];
        let checked = 0;
        for (const line of lines) {
          const verdict = disagreement(ecosystem, line);
          if (line.line in skips) {
            assert.notEqual(verdict, "", `skipped line now passes, drop its skip: ${line.line}`);
            continue;
          }
          checked++;
          if (verdict !== "") failures.push(`${line.line}: ${verdict}`);
        }
        assert.deepEqual(failures, [], `${failures.length} of ${checked} comparisons failed`);
        assert.equal(checked + Object.keys(skips).length, lines.length);
      });
    }
  }

  it("the skipped Alpine lines get apk-tools 3's answers", () => {
    assert.ok(compareVersions("Alpine", "1-r", "1-r0") < 0);
    assert.ok(compareVersions("Alpine", "1-r0-1", "1-r-2") > 0);
  });
});

/** Asserts that the versions are listed in strictly ascending order in the ecosystem. */
function assertAscending(ecosystem: string, versions: readonly string[]): void {
  for (let i = 0; i + 1 < versions.length; i++) {
    const [low, high] = [versions[i]!, versions[i + 1]!];
    assert.ok(compareVersions(ecosystem, low, high) < 0, `${ecosystem}: ${low} < ${high}`);
    assert.ok(compareVersions(ecosystem, high, low) > 0, `${ecosystem}: ${high} > ${low}`);
  }
}

function assertSame(ecosystem: string, a: string, b: string): void {
  assert.equal(compareVersions(ecosystem, a, b), 0, `${ecosystem}: ${a} = ${b}`);
  assert.equal(compareVersions(ecosystem, b, a), 0, `${ecosystem}: ${b} = ${a}`);
}

describe("Maven (ComparableVersion)", () => {
  it("orders qualifiers alpha < beta < milestone < rc < snapshot < release < sp < others", () => {
    assertAscending("Maven", [
      "1.0-alpha1",
      "1.0-beta1",
      "1.0-milestone1",
      "1.0-rc1",
      "1.0-SNAPSHOT",
      "1.0",
      "1.0-sp1",
      "1.0-whatever",
      "1.0-1",
      "1.0.1",
    ]);
  });

  it("reads aliases, short qualifiers, case and padding as Maven does", () => {
    assertSame("Maven", "1.0-cr1", "1.0-rc1");
    assertSame("Maven", "1.0-a1", "1.0-alpha-1");
    assertSame("Maven", "1.0-m2", "1.0-milestone-2");
    assertSame("Maven", "1.0.Final", "1.0");
    assertSame("Maven", "1.0-GA", "1");
    assertSame("Maven", "1.0.0-0", "1");
    assertSame("Maven", "2.0-ALPHA1", "2.0-alpha1");
    assertSame("Maven", "1.foo", "1-foo");
  });

  it("compares numbers of any size by value", () => {
    assertAscending("Maven", [
      "1.9",
      "1.10",
      "1.2147483648",
      "1.9223372036854775808",
      "1.99999999999999999999999",
    ]);
    assertAscending("Maven", ["5.3.0-beta2", "5.3.0-beta10", "5.3.0", "5.3.1"]);
  });
});

describe("Go (SemVer, optional v)", () => {
  it("orders pseudo-versions as pre-releases and ignores +incompatible", () => {
    assertAscending("Go", [
      "v0.0.0-20191109021931-daa7c04131f5",
      "v0.0.0-20220315194320-039c03cc5b86",
      "v1.2.3",
      "v1.2.4-0.20191109021931-daa7c04131f5",
      "v1.2.4",
      "v2.0.0+incompatible",
      "v2.1.0",
    ]);
    assertSame("Go", "v2.0.0+incompatible", "2.0.0");
    assertSame("Go", "v1.20.5", "1.20.5");
  });

  it("puts Go's first pre-release '-0' (OSV's stdlib introduced events) before every other", () => {
    assertAscending("Go", ["1.19.11", "1.20.0-0", "1.20.0-rc.1", "1.20.0", "1.20.6"]);
  });
});

describe("the ecosystem entry point", () => {
  it("ignores what follows the ecosystem's first colon", () => {
    assert.ok(compareVersions("Alpine:v3.18", "1.2.3-r0", "1.2.3-r1") < 0);
    assert.ok(compareVersions("Debian:12", "1:1.0-1", "2.0-1") > 0);
    assert.ok(compareVersions("Ubuntu:Pro:18.04:LTS", "1.0~rc1", "1.0") < 0);
    assert.ok(compareVersions("Maven:https://maven.google.com", "1.0-SNAPSHOT", "1.0") < 0);
  });

  it("uses one order per family", () => {
    // apk: _p is a post-release; dpkg: ~ sorts first; rpm: ^ sorts after the end.
    for (const e of ["Alpine", "Wolfi", "Chainguard"]) assert.ok(compareVersions(e, "1.2_p1", "1.2") > 0, e);
    for (const e of ["Debian", "Ubuntu"]) assert.ok(compareVersions(e, "1.2~rc1", "1.2") < 0, e);
    for (const e of ["Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE"]) {
      assert.ok(compareVersions(e, "1.2^git1", "1.2") > 0, e);
    }
    assert.ok(compareVersions("PyPI", "1.0.dev0", "1.0a1") < 0);
    assert.ok(compareVersions("npm", "1.0.0-rc.1", "1.0.0") < 0);
  });

  it("knows no order for other ecosystems", () => {
    assert.equal(versionOrderFor("Packagist"), undefined);
    assert.equal(typeof versionOrderFor("crates.io"), "function");
    assert.throws(
      () => compareVersions("Packagist", "1.0", "2.0"),
      (err) => isWharfError(err, "VERSION_INVALID"),
    );
    assert.equal(isValidVersion("Packagist", "1.0"), false);
  });

  it("throws VERSION_INVALID where the ecosystem defines no order", () => {
    const invalid: [string, string][] = [
      ["Debian", ""],
      ["Debian", "a:1.0"],
      ["Debian", "1:"],
      ["Debian", "1.0-"],
      ["npm", "latest"],
      ["Go", "go1.20.5"],
    ];
    for (const [ecosystem, version] of invalid) {
      assert.throws(
        () => compareVersions(ecosystem, version, "1.0"),
        (err) => isWharfError(err, "VERSION_INVALID"),
        `${ecosystem} ${JSON.stringify(version)}`,
      );
    }
  });

  it("says whether the ecosystem's own tool accepts a version", () => {
    const cases: [string, string, boolean][] = [
      ["Alpine", "1.2.3_rc1-r0", true],
      ["Alpine", "6.6.2p1-r0", false],
      ["Debian", "1:2.30-1+deb12u1", true],
      ["Debian", "abc", false],
      ["PyPI", "1.0.post1.dev2+local.7", true],
      ["PyPI", "0.1-bulbasaur", false],
      ["npm", "=v1.2.3", true],
      ["npm", "1.2", false],
      ["crates.io", "1.2.3-alpha.1", true],
      ["crates.io", "v1.2.3", false],
      ["Go", "v0.0.0-20191109021931-daa7c04131f5", true],
      ["Go", "1.20.5", true],
      ["Red Hat", "1:2.3-4.el9", true],
    ];
    for (const [ecosystem, version, valid] of cases) {
      assert.equal(isValidVersion(ecosystem, version), valid, `${ecosystem} ${version}`);
    }
  });

  it("is lenient where the tools are: dpkg without an epoch, apk with odd suffixes, legacy PyPI", () => {
    assertSame("Debian", "1.0", "0:1.0-0");
    assert.ok(compareVersions("Alpine", "1.9.5p1-r1", "1.9.5p2-r1") < 0);
    assert.ok(compareVersions("PyPI", "0.1-bulbasaur", "0.0.1") < 0);
    assert.ok(compareVersions("npm", "999999999999999999999", "999999999999999999998") > 0);
  });
});
