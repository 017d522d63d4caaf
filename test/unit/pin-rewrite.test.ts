/**
 * `wharf pin`'s offline half: finding each FROM's image word and its exact range with the real
 * parser, telling images from stages, scratch and ARG-built names, and rewriting the text byte for
 * byte around the new references. Digests are the busybox fixtures' (../shared/fixtures/oci).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfiles: ${...} is their syntax
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Digest } from "../../src/oci/digest.ts";
import { parseNormalizedNamed } from "../../src/oci/reference.ts";
import { type BaseImage, findBaseImages } from "../../src/pin/base-images.ts";
import { findFromLines } from "../../src/pin/from-lines.ts";
import { applyPins, checkPins, planPins, referencesToResolve, resolveKey } from "../../src/pin/pin-plan.ts";
import { changeLine, unifiedDiff } from "../../src/pin/report.ts";
import { applyEdits, pinnedText } from "../../src/pin/rewrite.ts";
import { replaceFileAtomically } from "../../src/pin/write-file.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = new URL("../../../shared/fixtures/oci/", import.meta.url);
const CORPUS = new URL("../../../shared/corpus/dockerfile-parser/", import.meta.url);

function fixtureDigest(layout: string): Digest {
  const index = JSON.parse(readFileSync(new URL(`${layout}/index.json`, FIXTURES), "utf8")) as {
    manifests: { digest: Digest }[];
  };
  return index.manifests[0]!.digest;
}

const SINGLE = fixtureDigest("busybox");
const MULTI = fixtureDigest("busybox-multi");

/** Pins `text` as `wharf pin` does, every tag resolving to `digest` (or to `digests[key]`). */
function pin(text: string, options: { update?: boolean; digests?: Record<string, Digest> } = {}) {
  const steps = planPins(findBaseImages(text), { update: options.update ?? false });
  const digests = new Map<string, Digest>();
  for (const ref of referencesToResolve(steps)) {
    const key = resolveKey(ref);
    digests.set(key, options.digests?.[key] ?? SINGLE);
  }
  const outcome = applyPins(steps, digests);
  return {
    ...outcome,
    text: applyEdits(
      text,
      outcome.edits.map((e) => e.edit),
    ),
    steps,
  };
}

function slice(
  text: string,
  image: { range: { start: number; end: number } | undefined },
): string | undefined {
  return image.range === undefined ? undefined : text.slice(image.range.start, image.range.end);
}

function kinds(images: readonly BaseImage[]): string[] {
  return images.map((i) => i.base.kind);
}

describe("finding FROM image words", () => {
  test("plain, flags (quoted too), AS, lowercase from", () => {
    const text =
      "FROM busybox\n" +
      "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n" +
      'FROM --platform="linux/arm64" alpine:3.20 as Runner\n' +
      "from   debian:bookworm-slim\tAS   final  \n";
    const { froms } = findFromLines(text);
    assert.deepEqual(
      froms.map((f) => [f.word, slice(text, f), f.line, f.stageName]),
      [
        ["busybox", "busybox", 1, ""],
        ["golang:1.22", "golang:1.22", 2, "build"],
        ["alpine:3.20", "alpine:3.20", 3, "runner"],
        ["debian:bookworm-slim", "debian:bookworm-slim", 4, "final"],
      ],
    );
  });

  test("continuation lines with comments and blank lines between them", () => {
    const text =
      "# syntax=docker/dockerfile:1\nFROM \\\n  # the base\n\n    --platform=linux/amd64 \\\n" +
      "  # pinned by renovate once\n   busybox:1.36 \\\n  AS base\nRUN true\n";
    const [from] = findFromLines(text).froms;
    assert.equal(from?.word, "busybox:1.36");
    assert.equal(slice(text, from!), "busybox:1.36");
    assert.equal(from?.line, 7);
    assert.deepEqual([from?.startLine, from?.endLine], [2, 8]);
  });

  test("the backtick escape directive: backtick continuations, backslashes are path characters", () => {
    const text =
      "# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS win\r\n" +
      "RUN dir C:\\\nFROM win\n";
    const images = findBaseImages(text);
    assert.deepEqual(kinds(images), ["image", "stage"]);
    assert.equal(slice(text, images[0]!), "mcr.microsoft.com/windows/servercore:ltsc2022");
    assert.equal(images[0]?.line, 3);
  });

  test("a FROM inside a heredoc body is not an instruction", () => {
    const text =
      "FROM busybox AS gen\nRUN <<EOF\nFROM alpine:3.20\ncat <<'X' > /Dockerfile\nFROM debian\nX\nEOF\n" +
      "COPY <<-EOT /etc/motd\n\tFROM ubuntu\n\tEOT\nFROM gen\n";
    const images = findBaseImages(text);
    assert.deepEqual(
      images.map((i) => [i.word, i.line, i.base.kind]),
      [
        ["busybox", 1, "image"],
        ["gen", 11, "stage"],
      ],
    );
    const { text: pinned } = pin(text);
    assert.equal(pinned, text.replace("FROM busybox AS", `FROM busybox:latest@${SINGLE} AS`));
  });

  test("a byte order mark and CRLF line ends", () => {
    const text = "\uFEFFFROM busybox:1.36\r\nFROM alpine \\\r\n  AS a\r\n";
    const { froms } = findFromLines(text);
    assert.deepEqual(
      froms.map((f) => slice(text, f)),
      ["busybox:1.36", "alpine"],
    );
    assert.equal(
      pin(text).text,
      `\uFEFFFROM busybox:1.36@${SINGLE}\r\nFROM alpine:latest@${SINGLE} \\\r\n  AS a\r\n`,
    );
  });

  test("a name a continuation splits has no range, and is left as it is", () => {
    const text = "FROM busy\\\nbox:1.36\n";
    const [image] = findBaseImages(text);
    assert.equal(image?.word, "busybox:1.36");
    assert.equal(image?.range, undefined);
    const result = pin(text);
    assert.equal(result.text, text);
    assert.match(result.notes[0]?.message ?? "", /a line continuation splits the name/);
    assert.equal(checkPins([image!]).unpinned.length, 1);
  });

  test("every FROM of BuildKit's parser corpus maps to its own word", () => {
    let found = 0;
    for (const dir of readdirSync(CORPUS)) {
      const path = new URL(`${dir}/Dockerfile`, CORPUS);
      if (!existsSync(path) || !statSync(path).isFile()) continue;
      const text = readFileSync(path, "utf8");
      let froms: ReturnType<typeof findFromLines>["froms"];
      try {
        froms = findFromLines(text).froms;
      } catch {
        continue; // the corpus's negative files
      }
      for (const from of froms) {
        assert.ok(from.range !== undefined, `${dir}: ${from.word} has a range`);
        assert.equal(slice(text, from), from.word, dir);
        found++;
      }
    }
    assert.ok(found >= 20, `only ${found} FROM lines in the corpus`);
  });
});

describe("what a FROM builds on", () => {
  test("scratch, stages by name in any case, images; a later stage of the same name is not a reference", () => {
    const text =
      "FROM scratch AS empty\nFROM busybox AS build\nFROM BUILD\nFROM Scratch\nFROM final\nFROM x AS final\n";
    const images = findBaseImages(text);
    assert.deepEqual(kinds(images), ["scratch", "image", "stage", "scratch", "image", "image"]);
    const result = pin(text);
    assert.deepEqual(
      result.notes.map((n) => [n.line, n.message]),
      [
        [1, "FROM scratch: no base image"],
        [3, 'FROM BUILD: the build stage "build", not an image'],
        [4, "FROM Scratch: no base image"],
      ],
    );
    assert.deepEqual(
      result.edits.map((e) => [e.line, e.after]),
      [
        [2, `busybox:latest@${SINGLE}`],
        [5, `final:latest@${SINGLE}`],
        [6, `x:latest@${SINGLE}`],
      ],
    );
  });

  test("ARG-built names: resolved from the meta ARG defaults and reported, the text kept", () => {
    const text =
      "ARG REPO=busybox\nARG TAG=1.36\nARG BASE=${REPO}:${TAG}\nARG NODEFAULT\nARG ARCHBASE=busybox:$TARGETARCH\n" +
      "FROM ${BASE} AS a\nFROM $REPO:${NODEFAULT}\nFROM ${ARCHBASE}\nFROM busybox:$TARGETARCH\nFROM ${BASE:-x}\n" +
      "FROM ${REPO}\n";
    const images = findBaseImages(text);
    assert.deepEqual(kinds(images), [
      "expanded",
      "unset-args",
      "unset-args",
      "unset-args",
      "expanded",
      "expanded",
    ]);
    assert.deepEqual(images[0]?.base, {
      kind: "expanded",
      name: "busybox:1.36",
      ref: parseNormalizedNamed("busybox:1.36"),
    });
    assert.deepEqual(images[1]?.base, { kind: "unset-args", args: ["NODEFAULT"] });
    assert.deepEqual(images[2]?.base, { kind: "unset-args", args: ["ARCHBASE"] });
    const result = pin(text);
    assert.equal(result.text, text, "ARG-built names are never rewritten");
    assert.equal(result.edits.length, 0);
    assert.deepEqual(result.notes[0], {
      line: 6,
      message: `\${BASE}: left as is: expands to busybox:1.36, now busybox:1.36@${SINGLE}; pin the ARG's default to pin it`,
    });
    assert.equal(
      result.notes[1]?.message,
      "$REPO:${NODEFAULT}: left as is: built from ARG NODEFAULT, which has no default before the first FROM",
    );
    assert.equal(
      result.notes[5]?.message,
      `\${REPO}: left as is: expands to busybox, now busybox:latest@${SINGLE}; pin the ARG's default to pin it`,
    );
    const check = checkPins(images);
    assert.deepEqual(
      check.unpinned.map((n) => n.line),
      [6, 10, 11],
    );
    assert.deepEqual(
      check.unknown.map((n) => n.line),
      [7, 8, 9],
    );
  });

  test("an ARG default with a digest is pinned; an ARG naming a stage is a stage", () => {
    const text = `ARG BASE=busybox:1.36@${SINGLE}\nARG STAGE=build\nFROM \${BASE} AS build\nFROM \${STAGE}\n`;
    const images = findBaseImages(text);
    assert.deepEqual(kinds(images), ["expanded", "stage"]);
    assert.deepEqual(checkPins(images).unpinned, []);
    assert.deepEqual(referencesToResolve(planPins(images, { update: true })), []);
  });

  test("a quoted name is resolved and reported, its text kept", () => {
    const text = 'FROM "busybox:1.36" AS q\n';
    const [image] = findBaseImages(text);
    assert.equal(image?.base.kind, "expanded");
    const result = pin(text);
    assert.equal(result.text, text);
    assert.equal(
      result.notes[0]?.message,
      `"busybox:1.36": left as is: expands to busybox:1.36, now busybox:1.36@${SINGLE}; ` +
        "write it without quotes or escapes to pin it",
    );
  });

  test("a name that is no reference fails; --check lists it", () => {
    const images = findBaseImages("FROM Busybox:1\n");
    assert.equal(images[0]?.base.kind, "invalid");
    const [step] = planPins(images, { update: false });
    assert.equal(step?.action, "fail");
    assert.match(checkPins(images).unpinned[0]?.message ?? "", /^Busybox:1 is not an image reference: /);
  });
});

describe("rewriting", () => {
  test("pinnedText keeps the reference as familiar as it was written", () => {
    const cases: [string, string][] = [
      ["busybox", `busybox:latest@${SINGLE}`],
      ["busybox:1.36", `busybox:1.36@${SINGLE}`],
      ["docker.io/library/busybox:1.36", `docker.io/library/busybox:1.36@${SINGLE}`],
      ["localhost:5000/team/app", `localhost:5000/team/app:latest@${SINGLE}`],
      [`busybox:1.36@${MULTI}`, `busybox:1.36@${SINGLE}`],
    ];
    for (const [written, expected] of cases) {
      assert.equal(pinnedText(written, parseNormalizedNamed(written), SINGLE), expected, written);
    }
  });

  test("applyEdits replaces ranges in any order and refuses overlaps", () => {
    const edits = [
      { range: { start: 6, end: 11 }, replacement: "there" },
      { range: { start: 0, end: 5 }, replacement: "HELLO" },
    ];
    assert.equal(applyEdits("hello world!", edits), "HELLO there!");
    assert.throws(
      () => applyEdits("hello", [edits[1]!, { range: { start: 3, end: 4 }, replacement: "" }]),
      RangeError,
    );
  });

  test("a Dockerfile of every shape: only the references change, byte for byte", () => {
    const text =
      "# syntax=docker/dockerfile:1.7\n# check=error=true\n\nARG BASE=alpine:3.20\n" +
      "# builder\nFROM --platform=$BUILDPLATFORM golang:1.22 AS build\nWORKDIR /src\n" +
      "RUN <<EOF\nFROM not:me\nEOF\n" +
      "FROM \\\n  # comment inside\n  busybox \\\n  as tools\n" +
      `FROM busybox:1.36@${MULTI} AS pinned\n` +
      "FROM ${BASE}\nFROM build AS again\nfrom scratch\nCOPY --from=tools /bin/busybox /busybox\n";
    const result = pin(text);
    const expected = text
      .replace("golang:1.22 AS", `golang:1.22@${SINGLE} AS`)
      .replace("  busybox \\\n", `  busybox:latest@${SINGLE} \\\n`);
    assert.equal(result.text, expected);
    assert.deepEqual(
      result.notes.map((n) => n.line),
      [15, 16, 17, 18],
    );
    assert.equal(result.notes[0]?.message, `busybox:1.36@${MULTI}: already pinned`);
    assert.equal(
      changeLine("Dockerfile", result.edits[1]!),
      `Dockerfile:13: busybox -> busybox:latest@${SINGLE}`,
    );
  });

  test("--update rewrites a moved tag, says so, and leaves an unmoved one", () => {
    const text = `FROM busybox:1.36@${MULTI}\nFROM busybox:musl@${SINGLE}\nFROM busybox@${SINGLE}\n`;
    assert.equal(pin(text).text, text, "without --update pinned references stay");
    const result = pin(text, { update: true });
    assert.equal(
      result.text,
      `FROM busybox:1.36@${SINGLE}\nFROM busybox:musl@${SINGLE}\nFROM busybox@${SINGLE}\n`,
    );
    assert.deepEqual(result.edits[0]?.moved, { from: MULTI, to: SINGLE });
    assert.equal(
      changeLine("Dockerfile", result.edits[0]!),
      `Dockerfile:1: busybox:1.36 moved: ${MULTI} -> ${SINGLE}`,
    );
    assert.deepEqual(
      result.notes.map((n) => n.message),
      [`busybox:musl@${SINGLE}: up to date`, `busybox@${SINGLE}: pinned by digest alone (no tag to resolve)`],
    );
  });

  test("one resolution per reference, keyed by the tagged full name", () => {
    const steps = planPins(
      findBaseImages("FROM busybox\nFROM busybox:latest\nFROM docker.io/library/busybox\n"),
      {
        update: false,
      },
    );
    assert.deepEqual(referencesToResolve(steps).map(resolveKey), ["docker.io/library/busybox:latest"]);
  });

  test("the dry-run diff applies with patch and gives the pinned file", () => {
    const dir = tempDir("wharf-pin-diff-");
    const text = "FROM busybox AS a\nRUN true\nFROM alpine:3.20";
    const result = pin(text);
    const diff = unifiedDiff("Dockerfile", text, result.edits);
    assert.equal(
      diff,
      `--- Dockerfile\n+++ Dockerfile\n@@ -1 +1 @@\n-FROM busybox AS a\n+FROM busybox:latest@${SINGLE} AS a\n` +
        `@@ -3 +3 @@\n-FROM alpine:3.20\n\\ No newline at end of file\n+FROM alpine:3.20@${SINGLE}\n` +
        "\\ No newline at end of file\n",
    );
    writeFileSync(join(dir, "Dockerfile"), text);
    execFileSync("patch", ["--quiet", "-p0"], { cwd: dir, input: diff });
    assert.equal(readFileSync(join(dir, "Dockerfile"), "utf8"), result.text);
  });
});

describe("writing the file", () => {
  test("atomic replacement keeps the mode and replaces a symlink's target", async () => {
    const dir = tempDir("wharf-pin-write-");
    const real = join(dir, "Dockerfile.real");
    const link = join(dir, "Dockerfile");
    writeFileSync(real, "FROM busybox\n");
    chmodSync(real, 0o640);
    symlinkSync("Dockerfile.real", link);
    await replaceFileAtomically(link, "FROM busybox:latest\n");
    assert.ok(lstatSync(link).isSymbolicLink(), "the link stays a link");
    assert.equal(readFileSync(real, "utf8"), "FROM busybox:latest\n");
    assert.equal(statSync(real).mode & 0o7777, 0o640);
    assert.deepEqual(readdirSync(dir).sort(), ["Dockerfile", "Dockerfile.real"], "no temporary file left");
  });
});
