/**
 * ADD's unpacking of a local tar archive into the destination directory, as BuildKit's unpack
 * (moby's chrootarchive.Untar into the destination) does: entries keep the archive's mode, owner
 * (unless --chown) and mtime; an existing entry is replaced unless both are directories (merged);
 * missing parents are made 0755 root-owned; directory times are set last. Safety: a name or hard
 * link that leaves the destination with ".." is refused, and parents are resolved with links
 * followed inside the destination only (as the chroot resolves them), so nothing is written
 * outside it. Not carried over: extended attributes (Node cannot set them).
 */
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { extract, type Header } from "tar-stream";
import { WharfError } from "../../errors.ts";
import { joinRoot, resolveRelative, splitPath } from "../root-path.ts";
import { type ArchiveCompression, openDecompressed } from "./archive-detect.ts";
import type { ChownIds } from "./chown.ts";

const run = promisify(execFile);

export interface UnpackResult {
  files: number;
  bytes: number;
}

/** Unpacks the archive `file` into the existing directory `destDir`. */
export async function unpackArchive(
  file: string,
  compression: ArchiveCompression,
  destDir: string,
  options: { chown?: ChownIds } = {},
): Promise<UnpackResult> {
  const { stream, close } = await openDecompressed(file, compression);
  const parser = extract();
  const dirTimes: { path: string; time: number }[] = [];
  const result: UnpackResult = { files: 0, bytes: 0 };
  stream.on("error", (err) => parser.destroy(err));
  stream.pipe(parser);
  try {
    for await (const entry of parser) {
      try {
        await unpackEntry(
          entry.header,
          entry as unknown as AsyncIterable<Uint8Array>,
          destDir,
          options.chown,
          dirTimes,
          result,
        );
      } finally {
        entry.resume(); // whatever the entry did not read
      }
    }
  } catch (err) {
    if (err instanceof WharfError) throw err;
    throw new WharfError(
      "ARCHIVE_INVALID",
      `failed to unpack ${file}: ${(err as Error).message}`,
      { file },
      {
        cause: err,
      },
    );
  } finally {
    close();
  }
  // Children are written: directory times no longer change. Deepest first is not needed (utimes on
  // a directory does not touch its parent).
  await Promise.all(dirTimes.map((d) => utimes(d.path, d.time, d.time)));
  return result;
}

/** The entry's name inside the destination ("" for the destination itself), or a refusal. */
function entryPath(name: string, destDir: string): string {
  const out: string[] = [];
  for (const c of splitPath(name)) {
    if (c !== "..") out.push(c);
    else if (out.pop() === undefined && !name.startsWith("/")) {
      throw new WharfError(
        "ARCHIVE_INVALID",
        `${JSON.stringify(name)} is outside of ${JSON.stringify(destDir)}`,
        {
          name,
        },
      );
    }
  }
  return out.join("/");
}

async function unpackEntry(
  header: Header,
  data: AsyncIterable<Uint8Array>,
  destDir: string,
  chownIds: ChownIds | undefined,
  dirTimes: { path: string; time: number }[],
  result: UnpackResult,
): Promise<void> {
  const rel = entryPath(header.name, destDir);
  const slash = rel.lastIndexOf("/");
  const parentRel = slash < 0 ? "" : rel.slice(0, slash);
  const base = slash < 0 ? rel : rel.slice(slash + 1);
  // Links among the parents resolve inside the destination, as in BuildKit's chroot.
  const parent = joinRoot(destDir, resolveRelative(destDir, parentRel));
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const target = rel === "" ? destDir : `${parent}/${base}`;
  const isDir = header.type === "directory";
  const existing = await lstat(target).catch(() => undefined);
  if (existing !== undefined && !(existing.isDirectory() && isDir)) {
    await rm(target, { recursive: true, force: true });
  }
  const mode = header.mode & 0o7777;
  const time = header.mtime.getTime() / 1000;
  switch (header.type) {
    case "directory":
      if (existing === undefined || !existing.isDirectory()) await mkdir(target, { mode: 0o700 });
      break;
    case "file":
    case "contiguous-file":
      await pipeline(data, createWriteStream(target, { flags: "wx", mode: 0o600 }));
      result.bytes += header.size;
      break;
    case "symlink":
      await symlink(header.linkname, target);
      break;
    case "link": {
      const linkRel = entryPath(header.linkname, destDir);
      const ls = linkRel.lastIndexOf("/");
      const linkParent = resolveRelative(destDir, ls < 0 ? "" : linkRel.slice(0, ls));
      await link(joinRoot(joinRoot(destDir, linkParent), linkRel.slice(ls + 1)), target);
      break;
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      const type = header.type === "fifo" ? ["p"] : [header.type === "block-device" ? "b" : "c"];
      const numbers = header.type === "fifo" ? [] : [String(header.devmajor), String(header.devminor)];
      await run("mknod", ["-m", mode.toString(8), target, ...type, ...numbers]);
      break;
    }
    default:
      return; // pax/GNU metadata entries are consumed by the parser; nothing else to make
  }
  if (header.type !== "directory") result.files++;
  const uid = chownIds?.uid ?? header.uid;
  const gid = chownIds?.gid ?? header.gid;
  await lchown(target, uid, gid);
  if (header.type === "symlink") {
    await lutimes(target, time, time);
    return;
  }
  // After the chown, which clears set-id bits.
  if (header.type !== "link") await chmod(target, mode);
  if (isDir) dirTimes.push({ path: target, time });
  else await utimes(target, time, time);
}
