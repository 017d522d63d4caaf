/**
 * A build context sent as a stream: a tar (plain or gzip-compressed) unpacked, safely, by the layer
 * unpacker into a temporary directory that goes when the build ends; or, as docker accepts it, a
 * Dockerfile alone (no context). `wharf build -` reads stdin with this, POST /build its body.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { WharfError } from "../../errors.ts";

export interface StreamedContext {
  /** "" for a Dockerfile sent alone: an empty context. */
  contextDir: string;
  dockerfile: string;
  /** For errors and NAME.dockerignore: the Dockerfile's path in the context. */
  dockerfilePath: string;
  cleanup(): Promise<void>;
}

export interface StreamedContextOptions {
  /** The Dockerfile's path inside a tar context. */
  dockerfile: string;
  /** What a Dockerfile sent alone is called ("-" for stdin). */
  aloneName: string;
  /** The error for a tar without the Dockerfile (docker's CLI and dockerd word it differently). */
  missingDockerfile: (name: string) => WharfError;
}

const TAR_BLOCK = 512;

/** The first `size` bytes of a stream (fewer if it is shorter), and the whole stream again. */
async function peek(
  source: AsyncIterable<Uint8Array>,
  size: number,
): Promise<{ head: Buffer; all: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value);
    seen.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(seen);
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: head.subarray(0, size), all: Readable.from(replay(), { objectMode: false }) };
}

function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

function isTar(head: Buffer): boolean {
  return head.length >= TAR_BLOCK && head.subarray(257, 262).toString("latin1") === "ustar";
}

export async function readStreamedContext(
  body: AsyncIterable<Uint8Array>,
  options: StreamedContextOptions,
): Promise<StreamedContext> {
  let { head, all } = await peek(body, 2);
  if (isGzip(head)) ({ head, all } = await peek(all.pipe(createGunzip()), TAR_BLOCK));
  else ({ head, all } = await peek(all, TAR_BLOCK));
  if (!isTar(head)) {
    const chunks: Buffer[] = [];
    for await (const chunk of all) chunks.push(chunk as Buffer);
    return {
      contextDir: "",
      dockerfile: Buffer.concat(chunks).toString("utf8"),
      dockerfilePath: options.aloneName,
      cleanup: async () => undefined,
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "wharf-context-"));
  try {
    // The layer unpacker is the safe way to unpack a tar; loaded only for a tar context.
    const { unpackLayer } = await import("../../layer/unpack.ts");
    await unpackLayer(all, dir, { lowerDirs: [] });
    const name = options.dockerfile;
    const dockerfile = await readFile(join(dir, name), "utf8").catch(() => {
      throw options.missingDockerfile(name);
    });
    return {
      contextDir: dir,
      dockerfile,
      dockerfilePath: name,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
