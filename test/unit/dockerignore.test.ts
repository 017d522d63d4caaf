/**
 * ../shared/corpus/dockerignore.json, every case: moby/patternmatcher (match, new, compile),
 * ignorefile.ReadAll (ignorefile), fsutil's filtered walks and opens (walk, open) and BuildKit's
 * .dockerignore scenarios (context). Trees are created under a temporary directory from the case.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { ContextFilter, type FilterOptions } from "../../src/build/context/context-filter.ts";
import { listBuildContext, listContext } from "../../src/build/context/context-walk.ts";
import { readDockerignore } from "../../src/build/context/dockerignore.ts";
import { goDir } from "../../src/build/context/go-path.ts";
import { compilePattern } from "../../src/build/context/pattern.ts";
import {
  type MatchInfo,
  matches,
  NO_MATCH_INFO,
  PatternMatcher,
} from "../../src/build/context/pattern-matcher.ts";
import { isWharfError } from "../../src/errors.ts";
import { loadCorpus } from "../corpus.ts";

interface TreeEntry {
  path: string;
  type: "file" | "dir";
}
interface MatchCase {
  id: number;
  kind: "match";
  api: string | string[];
  patterns: string[];
  path: string;
  excluded: boolean;
  error: boolean;
  errorKind?: string;
}
interface NewCase {
  id: number;
  kind: "new";
  patterns: string[];
  expect: { error: boolean; patternCount?: number; hasExclusions?: boolean };
}
interface CompileCase {
  id: number;
  kind: "compile";
  patterns: string[];
  expect: { matchType: string; regexp: string | null };
}
interface IgnorefileCase {
  id: number;
  kind: "ignorefile";
  content: string;
  expect: string[];
}
interface WalkCase {
  id: number;
  kind: "walk" | "open";
  tree: TreeEntry[];
  includePatterns?: string[];
  excludePatterns?: string[];
  filters?: FilterOptions[];
  expect?: string[];
  open?: Record<string, boolean>;
}
interface PresenceExpectation {
  present: string[];
  absent: string[];
}
interface ContextCase {
  id: number;
  kind: "context";
  tree: TreeEntry[];
  dockerignore?: string;
  files?: Record<string, string>;
  expect: { error?: boolean } & Partial<PresenceExpectation> & Record<string, unknown>;
}
type Case = MatchCase | NewCase | CompileCase | IgnorefileCase | WalkCase | ContextCase;

const cases = loadCorpus<Case[]>("dockerignore.json");
const ofKind = <K extends Case["kind"]>(kind: K) =>
  cases.filter((c): c is Extract<Case, { kind: K }> => c.kind === kind);

const scratch = await mkdtemp(join(tmpdir(), "wharf-dockerignore-"));
after(() => rm(scratch, { recursive: true, force: true }));

async function makeTree(
  id: number,
  tree: TreeEntry[],
  contents: Record<string, string> = {},
): Promise<string> {
  const root = join(scratch, `case-${id}`);
  await mkdir(root, { recursive: true });
  for (const entry of tree) {
    const target = join(root, entry.path);
    if (entry.type === "dir") {
      await mkdir(target, { recursive: true });
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, contents[entry.path] ?? `${entry.path}\n`);
    }
  }
  return root;
}

function isBadPattern(err: unknown): boolean {
  return isWharfError(err, "IGNORE_PATTERN_INVALID");
}

/** One upstream entry point, called the way moby's tests call it. */
function matchThrough(api: string, pm: PatternMatcher, path: string): boolean {
  switch (api) {
    case "MatchesOrParentMatches":
      return pm.matchesOrParentMatches(path);
    case "MatchesUsingParentResult": {
      const parentPath = goDir(path);
      let parentMatched = false;
      if (parentPath !== ".") {
        const dirs = parentPath.split("/");
        for (let i = 0; i < dirs.length; i++) {
          parentMatched = pm.matchesUsingParentResult(dirs.slice(0, i + 1).join("/"), parentMatched);
        }
      }
      return pm.matchesUsingParentResult(path, parentMatched);
    }
    case "MatchesUsingParentResults": {
      const parentPath = goDir(path);
      let info: MatchInfo = NO_MATCH_INFO;
      if (parentPath !== ".") {
        const dirs = parentPath.split("/");
        for (let i = 0; i < dirs.length; i++) {
          info = pm.matchesUsingParentResults(dirs.slice(0, i + 1).join("/"), info).info;
        }
      }
      return pm.matchesUsingParentResults(path, info).matched;
    }
    case "MatchesUsingParentResults(no parent context)":
      return pm.matchesUsingParentResults(path, NO_MATCH_INFO).matched;
    default:
      throw new Error(`unknown api ${api}`);
  }
}

describe("dockerignore corpus: match", () => {
  for (const c of ofKind("match")) {
    const apis = typeof c.api === "string" ? [c.api] : c.api;
    for (const api of apis) {
      test(`#${c.id} ${api} ${JSON.stringify(c.patterns)} ${JSON.stringify(c.path)}`, () => {
        if (api === "Matches") {
          // The package-level Matches (New, then Clean, then the method), as TestMatch calls it.
          if (c.error) assert.throws(() => matches(c.path, c.patterns), isBadPattern);
          else assert.equal(matches(c.path, c.patterns), c.excluded);
          return;
        }
        const pm = PatternMatcher.create(c.patterns);
        if (c.error) {
          // New succeeds; every match fails, the second time too.
          assert.throws(() => matchThrough(api, pm, c.path), isBadPattern);
          assert.throws(() => matchThrough(api, pm, c.path), isBadPattern);
          return;
        }
        assert.equal(matchThrough(api, pm, c.path), c.excluded);
      });
    }
  }
});

describe("dockerignore corpus: new", () => {
  for (const c of ofKind("new")) {
    test(`#${c.id} ${JSON.stringify(c.patterns)}`, () => {
      if (c.expect.error) {
        assert.throws(() => PatternMatcher.create(c.patterns), isBadPattern);
        return;
      }
      const pm = PatternMatcher.create(c.patterns);
      if (c.expect.patternCount !== undefined) assert.equal(pm.patterns.length, c.expect.patternCount);
      if (c.expect.hasExclusions !== undefined) assert.equal(pm.exclusions, c.expect.hasExclusions);
    });
  }
});

describe("dockerignore corpus: compile", () => {
  for (const c of ofKind("compile")) {
    test(`#${c.id} ${JSON.stringify(c.patterns)}`, () => {
      const pm = PatternMatcher.create(c.patterns);
      const compiled = compilePattern(pm.patterns[0]!.cleanedPattern);
      assert.equal(compiled.matchType, c.expect.matchType);
      assert.equal(compiled.regexp, c.expect.regexp ?? undefined);
    });
  }
});

describe("dockerignore corpus: ignorefile", () => {
  for (const c of ofKind("ignorefile")) {
    test(`#${c.id} ${JSON.stringify(c.content)}`, () => {
      assert.deepEqual(readDockerignore(c.content), c.expect);
      assert.deepEqual(readDockerignore(new TextEncoder().encode(c.content)), c.expect);
    });
  }
});

describe("dockerignore corpus: walk and open", () => {
  for (const c of cases.filter((c): c is WalkCase => c.kind === "walk" || c.kind === "open")) {
    test(`#${c.id} ${c.kind} ${JSON.stringify(c.filters ?? [c.includePatterns, c.excludePatterns])}`, async () => {
      const root = await makeTree(c.id, c.tree);
      const filters: FilterOptions[] = c.filters ?? [
        { includePatterns: c.includePatterns ?? [], excludePatterns: c.excludePatterns ?? [] },
      ];
      if (c.expect !== undefined) {
        const entries = await listContext(root, filters);
        assert.deepEqual(
          entries.map((e) => `${e.isDir ? "dir" : "file"} ${e.path}`),
          c.expect,
        );
      }
      if (c.open !== undefined) {
        assert.equal(filters.length, 1);
        const filter = new ContextFilter(filters[0]!);
        for (const [path, allowed] of Object.entries(c.open)) {
          assert.equal(filter.allowsOpen(path), allowed, `open ${path}`);
        }
      }
    });
  }
});

describe("dockerignore corpus: context", () => {
  for (const c of ofKind("context")) {
    test(`#${c.id} ${JSON.stringify(c.dockerignore ?? c.files)}`, async () => {
      const contents: Record<string, string> = { ...c.files };
      if (c.dockerignore !== undefined) contents[".dockerignore"] = c.dockerignore;
      const root = await makeTree(c.id, c.tree, contents);
      if (c.expect.error === true) {
        await assert.rejects(listBuildContext({ contextDir: root }), isBadPattern);
        return;
      }
      // Either one expectation for the default Dockerfile, or one per Dockerfile name.
      const perDockerfile: [string | undefined, PresenceExpectation][] =
        c.expect.present !== undefined
          ? [[undefined, c.expect as PresenceExpectation]]
          : Object.entries(c.expect as Record<string, PresenceExpectation>);
      for (const [dockerfile, expected] of perDockerfile) {
        const sent = new Set(
          (
            await listBuildContext(
              dockerfile === undefined ? { contextDir: root } : { contextDir: root, dockerfile },
            )
          ).map((e) => e.path),
        );
        for (const path of expected.present)
          assert.ok(sent.has(path), `${dockerfile ?? "Dockerfile"}: ${path} sent`);
        for (const path of expected.absent)
          assert.ok(!sent.has(path), `${dockerfile ?? "Dockerfile"}: ${path} not sent`);
      }
    });
  }
});
