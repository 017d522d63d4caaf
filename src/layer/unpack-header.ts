/**
 * What a layer tar's header means for unpacking: its cleaned name, whether it is a whiteout, and the
 * owner, mode and times to apply (tar-stream leaves PAX uid/gid/mtime/atime to its caller).
 */
import type { Header } from "tar-stream";
import { WharfError } from "../errors.ts";

/** Ownership, permission bits and times of an entry; times in seconds (fractions from PAX). */
export interface EntryMetadata {
  uid: number;
  gid: number;
  /** Permission bits including setuid, setgid and sticky (no file type bits). */
  mode: number;
  atime: number;
  mtime: number;
}

export function unsafeEntry(name: string, why: string): WharfError {
  return new WharfError("LAYER_UNSAFE", `layer entry ${JSON.stringify(name)} ${why}`, { entry: name });
}

export function invalidEntry(name: string, why: string, cause?: unknown): WharfError {
  return new WharfError(
    "LAYER_INVALID",
    `layer entry ${JSON.stringify(name)} ${why}`,
    { entry: name },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The entry's path relative to the layer root: leading `/` and `./` dropped, `.` and empty parts
 * removed, `..` resolved. A name that climbs above the root is refused (never clamped: a layer that
 * tries is hostile). The root itself is "".
 */
export function cleanEntryName(name: string): string {
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.pop() === undefined) throw unsafeEntry(name, "escapes the root");
      continue;
    }
    parts.push(part);
  }
  return parts.join("/");
}

/** `a/b/c` -> `a/b`; `c` -> "" (the root). */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}

export function childOf(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";
/** aufs metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): no meaning for overlay. */
const AUFS_META_PREFIX = ".wh..wh.";

export type WhiteoutKind =
  | { kind: "none" }
  | { kind: "whiteout"; dir: string; target: string }
  | { kind: "opaque"; dir: string }
  | { kind: "aufs-meta" };

/** Whether a cleaned entry name is a whiteout (`DIR/.wh.NAME`), an opaque marker or aufs metadata. */
export function whiteoutKind(rel: string): WhiteoutKind {
  const dir = parentOf(rel);
  const base = dir === "" ? rel : rel.slice(dir.length + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "none" };
  if (base === OPAQUE_MARKER) return { kind: "opaque", dir };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: "aufs-meta" };
  const target = base.slice(WHITEOUT_PREFIX.length);
  // `.wh.`, `.wh..` and `.wh...` would delete nothing, the directory itself or its parent.
  if (target === "" || target === "." || target === "..") {
    throw unsafeEntry(rel, "is an invalid whiteout entry");
  }
  return { kind: "whiteout", dir, target };
}

function paxRecord(header: Header): Record<string, string> | undefined {
  const pax = header.pax;
  return pax !== null && typeof pax === "object" ? (pax as Record<string, string>) : undefined;
}

function paxNumber(value: string | undefined, parse: (s: string) => number): number | undefined {
  if (value === undefined) return undefined;
  const n = parse(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Owner, mode and times of an entry, PAX records taking precedence over the ustar fields. */
export function entryMetadata(header: Header): EntryMetadata {
  const pax = paxRecord(header);
  const uid = paxNumber(pax?.uid, (s) => Number.parseInt(s, 10)) ?? header.uid;
  const gid = paxNumber(pax?.gid, (s) => Number.parseInt(s, 10)) ?? header.gid;
  const mtime = paxNumber(pax?.mtime, Number.parseFloat) ?? header.mtime.getTime() / 1000;
  const atime = paxNumber(pax?.atime, Number.parseFloat);
  return {
    uid,
    gid,
    mode: header.mode & 0o7777,
    // As moby does: the access time is never before the modification time.
    atime: atime === undefined || atime < mtime ? mtime : atime,
    mtime,
  };
}
