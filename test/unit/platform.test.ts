import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  cpuVariantFromArch,
  cpuVariantFromCPUInfo,
  defaultPlatform,
  formatAll,
  formatPlatform,
  normalizePlatform,
  type Platform,
  parsePlatform,
  parsePlatforms,
  platformFromJSON,
  platformToJSON,
} from "../../src/oci/platform.ts";
import {
  any,
  type MatchComparer,
  newMatcher,
  only,
  onlyOS,
  onlyStrict,
  ordered,
  selectPlatform,
  sortPlatforms,
} from "../../src/oci/platform-match.ts";
import { loadCorpus } from "../corpus.ts";

/** A platform as the corpus writes Go's specs.Platform: zero values spelled out. */
interface GoPlatform {
  os: string;
  architecture: string;
  variant: string;
  osVersion: string;
  osFeatures: string[] | null;
}

type Formatted = string | { pathJoin: string[] };

interface PlatformCase {
  id: number;
  suite: string;
  kind: "parse" | "formatAll" | "match" | "sort" | "cpuVariantFromArch";
  input?: string;
  skip?: boolean;
  note?: string;
  description?: string;
  platform?: GoPlatform | string;
  candidate?: string;
  matcher?: "Only" | "OnlyStrict" | "OnlyOS";
  matchers?: Array<"Only" | "OnlyStrict" | "OnlyOS" | "Ordered" | "Any">;
  platforms?: string[];
  expect: {
    error?: boolean;
    platform?: GoPlatform;
    formatter?: "Format" | "FormatAll";
    formatted?: Formatted;
    matches?: GoPlatform[];
    roundTrips?: boolean;
    match?: boolean;
    sorted?: string[];
    variant?: string;
  };
  expectOnLinuxAmd64Host?: { platform: GoPlatform; formatted: string };
}

/** Values for the corpus's host placeholders, worked out as upstream's TestParseSelector does. */
type Defaults = Readonly<Record<"$defaultOS" | "$defaultArch" | "$defaultVariant", string>>;

function defaultsFor(host: Platform): Defaults {
  const variant = host.architecture === "arm" && host.variant !== "v7" ? (host.variant ?? "") : "";
  return { $defaultOS: host.os, $defaultArch: host.architecture, $defaultVariant: variant };
}

const HOST = defaultPlatform();
const LINUX_AMD64: Platform = { os: "linux", architecture: "amd64" };

const fill = (s: string, d: Defaults) =>
  s.replace(/\$default(OS|Arch|Variant)/g, (k) => d[k as keyof Defaults]);

function toPlatform(g: GoPlatform, d: Defaults): Platform {
  const p: Platform = { os: fill(g.os, d), architecture: fill(g.architecture, d) };
  const variant = fill(g.variant, d);
  if (variant !== "") p.variant = variant;
  if (g.osVersion !== "") p.osVersion = g.osVersion;
  if (g.osFeatures !== null) p.osFeatures = g.osFeatures;
  return p;
}

/** `{"pathJoin": [...]}` is Go's path.Join of the parts: joined by "/", empty parts skipped. */
function formattedOf(f: Formatted, d: Defaults): string {
  if (typeof f === "string") return f;
  return f.pathJoin
    .map((part) => fill(part, d))
    .filter((part) => part !== "")
    .join("/");
}

function checkParse(c: PlatformCase, host: Platform | undefined, d: Defaults): void {
  const e = c.expect;
  const p = parsePlatform(c.input!, host);
  assert.deepEqual(p, toPlatform(e.platform!, d));
  const m = newMatcher(p);
  for (const other of [e.platform!, ...e.matches!]) {
    assert.ok(m.match(toPlatform(other, d)), `should match ${JSON.stringify(other)}`);
  }
  const format = e.formatter === "FormatAll" ? formatAll : formatPlatform;
  const formatted = format(p);
  assert.equal(formatted, formattedOf(e.formatted!, d));
  assert.equal(format(parsePlatform(formatted, host)), formatted, "round trip");
}

function comparerFor(name: string, p: Platform): MatchComparer {
  const comparers: Record<string, (p: Platform) => MatchComparer> = {
    Only: only,
    OnlyStrict: onlyStrict,
    OnlyOS: onlyOS,
    Ordered: (p) => ordered(p),
    Any: (p) => any(p),
  };
  return comparers[name]!(p);
}

function runCase(c: PlatformCase): void {
  const e = c.expect;
  switch (c.kind) {
    case "parse":
      if (e.error) {
        assert.throws(
          () => parsePlatform(c.input!),
          (err) => isWharfError(err) && err.code.startsWith("PLATFORM_") && err.detail.input === c.input,
        );
        return;
      }
      checkParse(c, undefined, defaultsFor(HOST));
      // The same case again as if on a linux/amd64 host. The corpus spells path.Join's result with a
      // trailing "/" when the variant is empty; path.Join drops it, so it is dropped here too.
      checkParse(c, LINUX_AMD64, defaultsFor(LINUX_AMD64));
      assert.deepEqual(
        parsePlatform(c.input!, LINUX_AMD64),
        toPlatform(c.expectOnLinuxAmd64Host!.platform, defaultsFor(LINUX_AMD64)),
      );
      assert.equal(
        formatPlatform(parsePlatform(c.input!, LINUX_AMD64)),
        formatPlatform(parsePlatform(c.expectOnLinuxAmd64Host!.formatted.replace(/\/$/, ""), LINUX_AMD64)),
      );
      return;
    case "formatAll": {
      const p = toPlatform(c.platform as GoPlatform, defaultsFor(HOST));
      const formatted = formatAll(p);
      assert.equal(formatted, e.formatted);
      if (e.roundTrips) {
        const back = parsePlatform(formatted);
        assert.equal(back.osVersion, p.osVersion);
        assert.deepEqual(back.osFeatures, p.osFeatures);
      }
      return;
    }
    case "match": {
      const m = comparerFor(c.matcher!, parsePlatform(c.platform as string));
      assert.equal(m.match(parsePlatform(c.candidate!)), e.match);
      return;
    }
    case "sort":
      for (const name of c.matchers!) {
        const comparer = comparerFor(name, parsePlatform(c.platform as string));
        const sorted = sortPlatforms(parsePlatforms(c.platforms!), comparer).map(formatAll);
        assert.deepEqual(sorted, e.sorted, name);
      }
      return;
    case "cpuVariantFromArch":
      if (e.error) {
        assert.throws(
          () => cpuVariantFromArch(c.input!),
          (err) => isWharfError(err, "PLATFORM_UNKNOWN_ARCH"),
        );
      } else {
        assert.equal(cpuVariantFromArch(c.input!), e.variant);
      }
      return;
  }
}

describe("corpus/platforms.json", () => {
  for (const c of loadCorpus<PlatformCase[]>("platforms.json")) {
    const what = c.input ?? c.description ?? `${c.matcher ?? ""}(${JSON.stringify(c.platform)})`;
    const name = `#${c.id} ${c.suite} ${what}${c.candidate === undefined ? "" : ` ${c.candidate}`}`;
    // Skipped upstream ("this case is not yet supported"): parsePlatform refuses wildcards.
    const skip = c.skip ? (c.note ?? "skipped upstream") : false;
    test(name, { skip }, () => runCase(c));
  }
});

describe("parsePlatform errors", () => {
  const cases: Array<[string, string, string]> = [
    ["", "PLATFORM_INVALID", '"" is an invalid OS component of ""'],
    ["linux/&arm", "PLATFORM_INVALID", '"&arm" is an invalid component of "linux/&arm"'],
    ["linux/arm/foo/bar", "PLATFORM_INVALID", '"linux/arm/foo/bar": cannot parse platform specifier'],
    ["foo", "PLATFORM_UNKNOWN_OS", '"foo": unknown operating system or architecture'],
    ["*", "PLATFORM_INVALID", '"*": wildcards not yet supported'],
    ["windows(1%zz)/amd64", "PLATFORM_INVALID", 'has an invalid OS version "1%zz": invalid URL escape "%zz"'],
  ];
  for (const [input, code, message] of cases) {
    test(JSON.stringify(input), () => {
      assert.throws(
        () => parsePlatform(input),
        (err) => isWharfError(err) && err.code === code && err.message.includes(message),
      );
    });
  }
  test("messages end with upstream's wrapped error", () => {
    assert.throws(() => parsePlatform("linux /arm"), {
      message:
        '"linux " is an invalid OS component of "linux /arm": OSAndVersion specifier component must match ' +
        '"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$": invalid argument',
    });
  });
});

describe("JSON form", () => {
  test("round trip with image-spec field names", () => {
    const json = {
      architecture: "amd64",
      os: "windows",
      "os.version": "10.0.17763.1234",
      "os.features": ["win32k"],
    };
    const p = platformFromJSON(json);
    assert.deepEqual(p, {
      os: "windows",
      architecture: "amd64",
      osVersion: "10.0.17763.1234",
      osFeatures: ["win32k"],
    });
    assert.deepEqual(platformToJSON(p), json);
  });
  test("empty fields are left out", () => {
    assert.deepEqual(platformFromJSON({ architecture: "arm64", os: "linux", variant: "" }), {
      os: "linux",
      architecture: "arm64",
    });
  });
  test("wrong types are refused", () => {
    for (const bad of [
      null,
      [],
      { os: "linux" },
      { os: "linux", architecture: "amd64", "os.features": "x" },
    ]) {
      assert.throws(
        () => platformFromJSON(bad),
        (e) => isWharfError(e, "PLATFORM_INVALID"),
      );
    }
  });
});

describe("normalizePlatform", () => {
  test("aliases and default variants", () => {
    assert.deepEqual(normalizePlatform({ os: "Linux", architecture: "aarch64", variant: "v8" }), {
      os: "linux",
      architecture: "arm64",
    });
    assert.deepEqual(normalizePlatform({ os: "linux", architecture: "armhf" }), {
      os: "linux",
      architecture: "arm",
      variant: "v7",
    });
    assert.deepEqual(
      normalizePlatform({ os: "linux", architecture: "x86_64", osFeatures: ["b", "a", "b"] }),
      {
        os: "linux",
        architecture: "amd64",
        osFeatures: ["a", "b"],
      },
    );
  });
});

describe("cpuVariantFromCPUInfo", () => {
  test("reads CPU architecture, falls back to the machine name", () => {
    assert.equal(cpuVariantFromCPUInfo({ cpuArchitecture: "8", machine: "aarch64" }, "arm64"), "v8");
    assert.equal(cpuVariantFromCPUInfo({ machine: "armv7l" }, "arm"), "v7");
    assert.equal(cpuVariantFromCPUInfo({ cpuArchitecture: "5TEJ", machine: "armv5tejl" }, "arm"), "v5");
  });
  test("ARMv6 boards that report 7", () => {
    const info = {
      cpuArchitecture: "7",
      modelName: "ARMv6-compatible processor rev 7 (v6l)",
      machine: "armv6l",
    };
    assert.equal(cpuVariantFromCPUInfo(info, "arm"), "v6");
    assert.equal(cpuVariantFromCPUInfo(info, "arm64"), "v7");
  });
});

describe("defaultPlatform", () => {
  test("is the host in OCI names", () => {
    const p = defaultPlatform();
    assert.notEqual(p.os, "win32");
    assert.ok(!["x64", "ia32"].includes(p.architecture));
    if (p.architecture === "arm64" && p.os === "linux") assert.equal(p.variant, "v8");
  });
});

describe("selectPlatform", () => {
  const index: Platform[] = [
    { os: "linux", architecture: "386" },
    { os: "linux", architecture: "arm", variant: "v6" },
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
    { os: "linux", architecture: "arm", variant: "v7" },
    { os: "windows", architecture: "amd64", osVersion: "10.0.17763.1234" },
  ];
  test("the exact platform first", () => {
    assert.equal(selectPlatform(index, { os: "linux", architecture: "amd64" }), index[2]);
    assert.equal(selectPlatform(index, { os: "linux", architecture: "arm64" }), index[3]);
  });
  test("falls back to what the platform can run", () => {
    assert.equal(selectPlatform(index.slice(0, 2), { os: "linux", architecture: "amd64" }), index[0]);
    assert.equal(selectPlatform([index[1]!, index[4]!], { os: "linux", architecture: "arm64" }), index[4]);
    assert.equal(selectPlatform([index[1]!], { os: "linux", architecture: "arm", variant: "v7" }), index[1]);
  });
  test("windows OS versions", () => {
    assert.equal(selectPlatform(index, parsePlatform("windows(10.0.17763)/amd64")), index[5]);
    assert.equal(selectPlatform(index, parsePlatform("windows(10.0.20348)/amd64")), undefined);
  });
  test("nothing suitable", () => {
    assert.equal(selectPlatform(index, { os: "linux", architecture: "s390x" }), undefined);
  });
  test("ties keep index order; the host default is a comparer", () => {
    const twins = [{ ...index[2]! }, { ...index[2]! }];
    assert.equal(selectPlatform(twins, only(index[2]!)), twins[0]);
    const host = defaultPlatform();
    assert.deepEqual(selectPlatform([index[5]!, host]), host);
  });
});
