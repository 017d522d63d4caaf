/**
 * What a COPY/ADD copies, before anything is written: each source path resolved in its root as
 * BuildKit does (dockerfile2llb's dispatchCopy, fsutil's copy.Copy): cleaned as an absolute path
 * ("../x" is "/x"), wildcards expanded with Go's filepath.Match, the path itself followed if it is
 * a link (links below it are kept as links), a directory's contents walked in name order with
 * --exclude and the --parents include pattern applied (moby/patternmatcher, relative to the
 * source) and .dockerignore hiding what the build context does not send. The copy and the cache
 * key both work from this plan, so they cannot disagree about what is copied.
 */
import type { BigIntStats } from "node:fs";
import { lstatSync, readdirSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { WharfError } from "../../errors.ts";
import { pathMatch } from "../../oci/path-match.ts";
import { listContext } from "../context/context-walk.ts";
import { type MatchInfo, NO_MATCH_INFO, PatternMatcher } from "../context/pattern-matcher.ts";
import { cleanAbsolute, joinRoot, resolveRelative, splitPath } from "../root-path.ts";
import { type ArchiveCompression, detectArchive } from "./archive-detect.ts";
import type { CopyRequest } from "./copy-request.ts";
import { TimeSlicer } from "./limited.ts";

export type EntryKind = "dir" | "file" | "symlink" | "char" | "block" | "fifo" | "socket";

export interface SourceEntry {
  /** Relative to the item ("" for a directory item's own root), "/"-separated. */
  readonly rel: string;
  /** The path on the host. */
  readonly abs: string;
  readonly kind: EntryKind;
  readonly stat: BigIntStats;
  /**
   * A directory copied only because something below it is (an --exclude exception, the --parents
   * pattern): fsutil creates it when needed but leaves an existing one alone.
   */
  readonly parentOnly: boolean;
  /** A regular file with the same inode as an earlier entry of the item: copied as a hard link to it. */
  hardlinkTo?: string;
}

interface TreeItem {
  readonly kind: "tree";
  /** The name it gets inside a destination directory (the source path's base name). */
  readonly name: string;
  readonly isDir: boolean;
  /** Pre-order: a directory before its contents; entries[0] is the item itself. */
  readonly entries: SourceEntry[];
}

interface ArchiveItem {
  readonly kind: "archive";
  readonly name: string;
  readonly abs: string;
  readonly stat: BigIntStats;
  readonly compression: ArchiveCompression;
}

interface InlineItem {
  readonly kind: "inline";
  readonly name: string;
  readonly data: Buffer;
}

export type SourceItem = TreeItem | ArchiveItem | InlineItem;

export interface CopyPlan {
  readonly items: SourceItem[];
  /** Entries keep their owners ("stage") or become 0:0 ("context"). */
  readonly ownership: "preserve" | "root";
}

/** A file-system view of the source root: what is visible (after .dockerignore). */
interface SourceView {
  readonly root: string;
  readonly visible: ((rel: string) => boolean) | undefined;
}

type PlanRequest = Pick<
  CopyRequest,
  | "source"
  | "sourcePaths"
  | "inlineFiles"
  | "excludePatterns"
  | "parents"
  | "unpackArchives"
  | "allowEmptyWildcard"
>;

export async function planCopy(req: PlanRequest): Promise<CopyPlan> {
  const view = await sourceView(req);
  const kind = req.source.kind ?? (req.source.excludes !== undefined ? "context" : "stage");
  const exclude =
    req.excludePatterns !== undefined && req.excludePatterns.length > 0
      ? PatternMatcher.create(req.excludePatterns)
      : undefined;
  const items: SourceItem[] = [];
  for (const written of req.sourcePaths) {
    let src = written;
    let include: PatternMatcher | undefined;
    let required: string | undefined;
    if (req.parents === true) {
      // An optional "/./" pivot: what follows it is kept as the path below the destination.
      const pivot = written.indexOf("/./");
      const pattern = pivot < 0 ? written : written.slice(pivot + 3);
      src = pivot < 0 ? "/" : written.slice(0, pivot);
      const cleanedPattern = cleanAbsolute(pattern).slice(1);
      // "." keeps everything (an empty pattern would match nothing).
      include = cleanedPattern === "" ? undefined : PatternMatcher.create([cleanedPattern]);
      if (!containsWildcards(src) && !containsWildcards(pattern)) {
        required = cleanAbsolute(`${src}/${pattern}`);
      }
    }
    src = cleanAbsolute(src);
    const wildcard = containsWildcards(src);
    const matches = wildcard ? await resolveWildcards(view, src) : [src.slice(1)];
    if (matches.length === 0) {
      if (req.allowEmptyWildcard ?? true) continue;
      throw notFound(src);
    }
    for (const match of matches) {
      const rel = resolveRelative(view.root, match, { visible: view.visible });
      const abs = joinRoot(view.root, rel);
      const st = rel === "" || isVisible(view, rel) ? await lstatOrUndefined(abs) : undefined;
      if (st === undefined) throw notFound(wildcard ? `/${match}` : src);
      const name = baseName(match);
      if (st.isDirectory()) {
        const entries = await walkTree(view, rel, abs, st, { include, exclude });
        linkHardlinks(entries);
        if (required !== undefined && !entries.some((e) => e.rel !== "" && !e.parentOnly)) {
          throw notFound(required);
        }
        items.push({ kind: "tree", name, isDir: true, entries });
        continue;
      }
      if (required !== undefined) throw notFound(required);
      if (req.unpackArchives === true && st.isFile()) {
        const compression = await detectArchive(abs);
        if (compression !== undefined) {
          items.push({ kind: "archive", name, abs, stat: st, compression });
          continue;
        }
      }
      const entry: SourceEntry = { rel: "", abs, kind: entryKind(st), stat: st, parentOnly: false };
      items.push({ kind: "tree", name, isDir: false, entries: [entry] });
    }
  }
  for (const inline of req.inlineFiles ?? []) {
    items.push({ kind: "inline", name: baseName(inline.path), data: Buffer.from(inline.data, "utf8") });
  }
  return { items, ownership: kind === "context" ? "root" : "preserve" };
}

/** BuildKit's error for a source that is not there (the engine adds "failed to compute cache key: ..."). */
export function notFound(path: string): WharfError {
  return new WharfError("BUILD_SOURCE_NOT_FOUND", `"${path}": not found`, { path });
}

async function sourceView(req: PlanRequest): Promise<SourceView> {
  const root = req.source.root;
  const excludes = req.source.excludes;
  if (excludes === undefined || excludes.length === 0) return { root, visible: undefined };
  // The context as the build sends it: what the ignore file keeps, directories above kept entries included.
  const kept =
    (await req.source.kept) ??
    new Set((await listContext(root, [{ excludePatterns: excludes }])).map((e) => e.path));
  return { root, visible: (rel) => kept.has(rel) };
}

function isVisible(view: SourceView, rel: string): boolean {
  return view.visible === undefined || view.visible(rel);
}

/** fsutil's containsWildcards: "*", "?" or "[" not escaped by "\". */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

/**
 * fsutil's ResolveWildcards: the part before the first component with a wildcard is resolved
 * (links followed), then everything below it is matched against the rest; a matching directory
 * is not descended into. Matches are relative to the root, in walk (name) order.
 */
async function resolveWildcards(view: SourceView, src: string): Promise<string[]> {
  const parts = splitPath(src);
  const first = parts.findIndex((p) => containsWildcards(p));
  const base = resolveRelative(view.root, parts.slice(0, first).join("/"), { visible: view.visible });
  const pattern = parts.slice(first).join("/");
  // "*", "?" and classes without "/" never match across a "/": no need to walk deeper than the pattern.
  const maxDepth = pattern.includes("[") ? Number.POSITIVE_INFINITY : parts.length - first;
  const out: string[] = [];
  const walk = async (dirRel: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(joinRoot(view.root, dirRel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw err;
    }
    names.sort(compareNames);
    for (const name of names) {
      const rel = dirRel === "" ? name : `${dirRel}/${name}`;
      if (!isVisible(view, rel)) continue;
      const relToBase = base === "" ? rel : rel.slice(base.length + 1);
      let matched = false;
      try {
        matched = pathMatch(pattern, relToBase);
      } catch {
        matched = false; // Go ignores filepath.Match's error here
      }
      const st = await lstat(joinRoot(view.root, rel));
      if (matched) out.push(rel);
      else if (st.isDirectory() && depth < maxDepth) await walk(rel, depth + 1);
    }
  };
  if (base === "" || isVisible(view, base)) {
    const st = await lstatOrUndefined(joinRoot(view.root, base));
    if (st?.isDirectory()) await walk(base, 1);
  }
  return out;
}

interface Filters {
  include: PatternMatcher | undefined;
  exclude: PatternMatcher | undefined;
}

/** The entries of the directory item at `rel`, the item's own entry first. */
async function walkTree(
  view: SourceView,
  rel: string,
  abs: string,
  st: BigIntStats,
  filters: Filters,
): Promise<SourceEntry[]> {
  const entries: SourceEntry[] = [{ rel: "", abs, kind: "dir", stat: st, parentOnly: false }];
  await walkDir(view, rel, abs, "", NO_MATCH_INFO, NO_MATCH_INFO, filters, new TimeSlicer(), entries);
  return entries;
}

async function walkDir(
  view: SourceView,
  viewRel: string,
  abs: string,
  itemRel: string,
  includeInfo: MatchInfo,
  excludeInfo: MatchInfo,
  filters: Filters,
  slicer: TimeSlicer,
  out: SourceEntry[],
): Promise<number> {
  await slicer.pause();
  const names = readdirSync(abs)
    .sort(compareNames)
    .filter((name) => isVisible(view, viewRel === "" ? name : `${viewRel}/${name}`));
  let added = 0;
  for (const name of names) {
    const st = lstatSync(`${abs}/${name}`, { bigint: true });
    const entryRel = itemRel === "" ? name : `${itemRel}/${name}`;
    const entryAbs = `${abs}/${name}`;
    let included = true;
    let excluded = false;
    let childInclude = NO_MATCH_INFO;
    let childExclude = NO_MATCH_INFO;
    if (filters.include !== undefined) {
      const r = filters.include.matchesUsingParentResults(entryRel, includeInfo);
      included = r.matched;
      childInclude = r.info;
    }
    if (filters.exclude !== undefined) {
      const r = filters.exclude.matchesUsingParentResults(entryRel, excludeInfo);
      childExclude = r.info;
      if (r.matched) {
        included = false;
        excluded = true;
      }
    }
    if (!st.isDirectory()) {
      if (included) {
        out.push({ rel: entryRel, abs: entryAbs, kind: entryKind(st), stat: st, parentOnly: false });
        added++;
      }
      continue;
    }
    // Nothing below an excluded directory comes back without "!" exceptions.
    if (excluded && !filters.exclude!.exclusions) continue;
    if (!included && !excluded && !mayIncludeBelow(filters.include, entryRel)) continue;
    const at = out.length;
    out.push({ rel: entryRel, abs: entryAbs, kind: "dir", stat: st, parentOnly: !included });
    const below = await walkDir(
      view,
      viewRel === "" ? name : `${viewRel}/${name}`,
      entryAbs,
      entryRel,
      childInclude,
      childExclude,
      filters,
      slicer,
      out,
    );
    // A directory kept only for what is below it goes when nothing below it is kept.
    if (!included && below === 0) out.length = at;
    else added += below + 1;
  }
  return added;
}

/** Whether an include pattern could match below `dir` (only a plain pattern under it, or any wildcard). */
function mayIncludeBelow(include: PatternMatcher | undefined, dir: string): boolean {
  if (include === undefined) return true;
  return include.patterns.some((p) => {
    const text = p.toString();
    return /[*?[\\]/.test(text) || text.startsWith(`${dir}/`);
  });
}

/** fsutil's inode map: later names of a multiply linked file become hard links to the first. */
function linkHardlinks(entries: SourceEntry[]): void {
  const first = new Map<string, string>();
  for (const entry of entries) {
    if (entry.kind !== "file" || entry.stat.nlink < 2n) continue;
    const key = `${entry.stat.dev}:${entry.stat.ino}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, entry.rel);
    else entry.hardlinkTo = earlier;
  }
}

export function entryKind(st: BigIntStats): EntryKind {
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

async function lstatOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** Go sorts directory entries by the bytes of their names. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function baseName(path: string): string {
  const parts = splitPath(path);
  return parts[parts.length - 1] ?? "/";
}
