/**
 * ArchiveOutput as a tar (tar-stream's pack): entries are appended one at a time in the order they
 * are put (concurrent blobs queue), into a temporary file beside the target that commit renames into
 * place — or straight into a stream (`wharf save` to a pipe), which cannot be taken back.
 * Fixed owner and mtime: the same images make the same archive.
 */
import { createWriteStream } from "node:fs";
import { chmod, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Pack, pack } from "tar-stream";
import { noSpaceError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { IngestSource } from "../store/ingest.ts";
import { fsyncDir, uniqueTempName } from "../util/fs-atomic.ts";
import { removeOnInterrupt } from "../util/interrupt-cleanup.ts";
import { type ArchiveOutput, copyVerified } from "./archive-output.ts";

const MTIME = new Date(0);

/**
 * Where the tar goes: a file (0644, as skopeo makes it, or exactly `mode`: docker save's is 0600), or
 * a stream.
 */
export type TarTarget = { file: string; mode?: number } | { stream: Writable };

export class TarOutput implements ArchiveOutput {
  readonly #pack: Pack;
  readonly #done: Promise<void>;
  readonly #target: TarTarget;
  readonly #temp: string | undefined;
  readonly #written = new Map<string, number>();
  readonly #dirs = new Set<string>();
  /** The queue: each entry starts when the previous one is complete. */
  #tail: Promise<void> = Promise.resolve();
  #failed: unknown;
  #forgetTemp: () => void = () => undefined;
  /** Rejects when the output fails (a full disk, a closed pipe); never resolves. */
  readonly #failure: Promise<never>;

  constructor(target: TarTarget) {
    this.#target = target;
    this.#pack = pack();
    let out: Writable;
    if ("file" in target) {
      this.#temp = uniqueTempName(target.file);
      this.#forgetTemp = removeOnInterrupt(this.#temp);
      out = createWriteStream(this.#temp, { flags: "wx", mode: target.mode ?? 0o644 });
    } else {
      out = target.stream;
    }
    this.#done = pipeline(this.#pack, out);
    this.#done.catch((err) => {
      this.#failed ??= err;
    });
    this.#failure = this.#done.then(
      () => new Promise<never>(() => undefined),
      (err) => {
        throw this.#noSpace(err);
      },
    );
    this.#failure.catch(() => undefined); // raced below; its rejection is handled there
  }

  async has(path: string, size: number): Promise<boolean> {
    return this.#written.get(path) === size;
  }

  putBlob(
    path: string,
    desc: Descriptor,
    content: IngestSource,
    onProgress: (bytes: number) => void,
  ): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#written.get(path) === desc.size) return;
      this.#directories(path);
      const sink = this.#pack.entry({ ...this.#header(path), size: desc.size });
      const ended = new Promise<void>((resolve, reject) => {
        sink.once("error", reject);
        sink.once("finish", () => resolve());
        sink.once("close", () => resolve());
      });
      // Awaited below; if the output fails first, the entry's error must not go unhandled.
      ended.catch(() => undefined);
      // Every wait races the output's failure: a full disk must end the copy, not leave it waiting.
      await copyVerified(
        desc,
        content,
        (chunk) =>
          sink.write(chunk)
            ? undefined
            : Promise.race([
                new Promise<void>((resolve) => sink.once("drain", () => resolve())),
                this.#failure,
              ]),
        onProgress,
      );
      sink.end(undefined);
      await Promise.race([ended, this.#failure]);
      this.#written.set(path, desc.size);
    });
  }

  putFile(path: string, bytes: Uint8Array): Promise<void> {
    return this.#enqueue(async () => {
      this.#directories(path);
      await new Promise<void>((resolve, reject) =>
        this.#pack.entry({ ...this.#header(path), size: bytes.byteLength }, Buffer.from(bytes), (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      this.#written.set(path, bytes.byteLength);
    });
  }

  async commit(): Promise<void> {
    await this.#tail;
    this.#pack.finalize();
    await this.#done.catch((err) => {
      throw this.#noSpace(err);
    });
    if ("file" in this.#target && this.#temp) {
      // Not fsynced, as docker and skopeo do not: a killed save leaves only the temp file (removed on
      // interrupt), and an fsync of the archive made `save` of a 121 MB image 40 % slower here.
      // An explicit mode is the file's whatever the umask (docker's atomicwriter chmods before the rename).
      if (this.#target.mode !== undefined) await chmod(this.#temp, this.#target.mode);
      await rename(this.#temp, this.#target.file);
      this.#forgetTemp();
      await fsyncDir(dirname(this.#target.file));
    }
  }

  async abort(): Promise<void> {
    this.#failed ??= new Error("aborted");
    this.#pack.destroy();
    await this.#done.catch(() => undefined);
    if (this.#temp) await rm(this.#temp, { force: true });
    this.#forgetTemp();
  }

  #noSpace(err: unknown): unknown {
    return noSpaceError(err, "file" in this.#target ? this.#target.file : undefined) ?? err;
  }

  #header(name: string) {
    return { name, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 };
  }

  /** Directory entries before the first file inside them (docker load and tar -x want none, but tools list them). */
  #directories(path: string): void {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.#dirs.has(dir)) continue;
      this.#dirs.add(dir);
      this.#pack.entry({ ...this.#header(`${dir}/`), type: "directory", mode: 0o755 });
    }
  }

  /** Runs `step` after every entry before it; after a failure nothing more is written. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(async () => {
      if (this.#failed !== undefined) throw this.#failed;
      try {
        await step();
      } catch (err) {
        this.#failed ??= err;
        throw err;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
