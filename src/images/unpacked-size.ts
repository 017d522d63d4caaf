/**
 * Docker's size of a layer: not the length of its tar, but what its files take once unpacked, as
 * moby's graph drivers measure the layer's own directory after applying it (pkg/directory.Size):
 * every regular file's length plus every symlink's target length, each inode once (a hard link adds
 * nothing), directories, devices and whiteouts nothing. For the busybox fixture that is 2,051,177
 * bytes ("2.05MB", as `docker images` shows) where the tars are 2,199,552.
 *
 * The counter reads the uncompressed tar stream chunk by chunk (ustar, GNU long names and PAX
 * headers, base-256 sizes), so it can run in the same pass as a diff-ID computation.
 */
import { createReadStream } from "node:fs";
import type { Transform } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { layerCompression } from "../oci/mediatype.ts";

const BLOCK = 512;
/** PAX and GNU long-name payloads larger than this are skipped, not kept in memory. */
const MAX_META = 1 << 20;
/** Go's archive/tar: these entries carry no data whatever their size field says. */
const HEADER_ONLY = new Set(["1", "2", "3", "4", "5", "6"]);

type State = "header" | "data" | "meta" | "end";

/** Feed it the uncompressed tar, then read `total`. */
export class UnpackedSizeCounter {
  #state: State = "header";
  #header = Buffer.alloc(0);
  /** Data bytes (of the current entry) still to skip or collect, then the padding to the next block. */
  #remaining = 0;
  #padding = 0;
  #metaType = "";
  #meta: Buffer[] = [];
  #metaLength = 0;
  #pax = new Map<string, string>();
  #globalPax = new Map<string, string>();
  #longName: string | undefined;
  #longLink: string | undefined;
  readonly #sizes = new Map<string, number>();

  update(chunk: Uint8Array): void {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length > 0 && this.#state !== "end") {
      if (this.#state === "header") {
        const need = BLOCK - this.#header.length;
        const take = buf.subarray(0, need);
        this.#header = this.#header.length === 0 ? Buffer.from(take) : Buffer.concat([this.#header, take]);
        buf = buf.subarray(take.length);
        if (this.#header.length === BLOCK) {
          const header = this.#header;
          this.#header = Buffer.alloc(0);
          this.#onHeader(header);
        }
        continue;
      }
      // data or meta: the entry's bytes, then its padding
      if (this.#remaining > 0) {
        const take = buf.subarray(0, Math.min(this.#remaining, buf.length));
        if (this.#state === "meta" && this.#metaLength + take.length <= MAX_META) this.#meta.push(take);
        this.#metaLength += take.length;
        this.#remaining -= take.length;
        buf = buf.subarray(take.length);
        if (this.#remaining > 0) continue;
      }
      const skip = Math.min(this.#padding, buf.length);
      this.#padding -= skip;
      buf = buf.subarray(skip);
      if (this.#padding === 0) {
        if (this.#state === "meta") this.#onMeta();
        this.#state = "header";
      }
    }
  }

  /** Bytes the layer's files take once unpacked (Docker's layer size). */
  get total(): number {
    let sum = 0;
    for (const size of this.#sizes.values()) sum += size;
    return sum;
  }

  #onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.#state = "end";
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const pax = new Map([...this.#globalPax, ...this.#pax]);
    const headerSize = parseNumeric(h.subarray(124, 136));
    const size = pax.has("size") ? Number(pax.get("size")) : headerSize;
    const dataLength = HEADER_ONLY.has(type) ? 0 : size;
    this.#remaining = dataLength;
    this.#padding = (BLOCK - (dataLength % BLOCK)) % BLOCK;
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      this.#state = "meta";
      this.#metaType = type;
      this.#meta = [];
      this.#metaLength = 0;
      if (dataLength === 0) {
        this.#onMeta();
        this.#state = "header";
      }
      return;
    }
    const path = normalisePath(pax.get("path") ?? this.#longName ?? entryName(h));
    const linkTarget = pax.get("linkpath") ?? this.#longLink ?? cString(h.subarray(157, 257));
    this.#pax = new Map();
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#sizes.set(path, contentSize(type, path, size, linkTarget));
    this.#state = dataLength > 0 || this.#padding > 0 ? "data" : "header";
  }

  #onMeta(): void {
    const data = Buffer.concat(this.#meta);
    const complete = this.#metaLength <= MAX_META;
    this.#meta = [];
    if (!complete) return;
    if (this.#metaType === "L") this.#longName = cString(data);
    else if (this.#metaType === "K") this.#longLink = cString(data);
    else {
      const records = parsePax(data);
      const target = this.#metaType === "g" ? this.#globalPax : this.#pax;
      for (const [k, v] of records) target.set(k, v);
    }
  }
}

function contentSize(type: string, path: string, size: number, linkTarget: string): number {
  const base = path.slice(path.lastIndexOf("/") + 1);
  // Whiteouts become 0/0 character devices or an xattr on the directory: no bytes.
  if (base.startsWith(".wh.")) return 0;
  if (type === "0" || type === "\0" || type === "7") return size;
  if (type === "2") return Buffer.byteLength(linkTarget, "utf8");
  return 0;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString("utf8");
}

function entryName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  const ustar = h.subarray(257, 262).toString("latin1") === "ustar";
  const prefix = ustar ? cString(h.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function normalisePath(p: string): string {
  let out = p.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
  while (out.endsWith("/")) out = out.slice(0, -1);
  return out;
}

/** An octal field (NUL or space terminated) or, with the high bit of the first byte set, base-256. */
function parseNumeric(b: Buffer): number {
  if (b.length > 0 && (b[0]! & 0x80) !== 0) {
    let n = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const text = b
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .replace(/^[\0 ]+/, "");
  return text === "" ? 0 : Number.parseInt(text, 8) || 0;
}

/** PAX records: "<length> <key>=<value>\n". */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const length = Number.parseInt(data.subarray(pos, space).toString("latin1"), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, pos + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return out;
}

function decompressor(mediaType: string): Transform | undefined {
  const compression = layerCompression(mediaType);
  if (compression === "gzip") return createGunzip({ chunkSize: 256 * 1024 });
  if (compression === "zstd") return createZstdDecompress({ chunkSize: 256 * 1024 });
  return undefined;
}

/** Docker's size of a layer blob on disk (compressed or not, as its media type says). */
export async function unpackedSizeOfFile(path: string, mediaType: string): Promise<number> {
  const counter = new UnpackedSizeCounter();
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const d = decompressor(mediaType);
  const stream = d ? input.pipe(d) : input;
  if (d) input.once("error", (err) => d.destroy(err));
  for await (const chunk of stream) counter.update(chunk as Buffer);
  return counter.total;
}
