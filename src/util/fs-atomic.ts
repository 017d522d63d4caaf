/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over
 * the target and fsync the directory, so that a reader sees the old bytes or the new ones, never a mix.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let counter = 0;
/** A name no other process or call will choose: pid + per-process counter + random suffix. */
export function uniqueTempName(target: string): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 8);
  return join(dirname(target), `.${basename(target)}.${process.pid}.${counter}.${rand}.tmp`);
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Synchronous so it can run inside a store transaction, which must not yield to the event loop. */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  const temp = uniqueTempName(target);
  try {
    const fd = openSync(temp, "wx", 0o644);
    try {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  fsyncDirSync(dirname(target));
}
