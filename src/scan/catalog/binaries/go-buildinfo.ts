/**
 * The build information the Go linker embeds in every Go executable: the Go toolchain version and
 * the module information text. Ported by hand from Go's debug/buildinfo (readRawBuildInfo,
 * decodeString, readString, elfExe) for ELF: the 32-byte header ("\xff Go buildinf:", pointer size,
 * flags) at a 16-byte boundary in the .go.buildinfo section or, without one, in the first writable
 * data segment; then either the Go 1.18+ inline strings (flags & 2: varint-length-prefixed, right
 * after the header) or the older two pointers to Go string headers (address, length), resolved
 * through the program headers with the header's pointer size and byte order.
 */
import { binaryInvalid } from "./binary-invalid.ts";
import { type ElfFile, PF_W, PF_X, PT_LOAD, readVirtual, sectionByName } from "./elf.ts";

export interface GoRawBuildInfo {
  /** As the binary says: "go1.19.8", "go1.22.0 X:boringcrypto", "devel go1.23-abc...". */
  goVersion: string;
  /** The module information text without its framing; "" for a binary built outside module mode. */
  modinfo: string;
}

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const HEADER_SIZE = 32;
const ALIGN = 16;
/** How far into the data Go looks for the header (the linker puts it near the start). */
const SEARCH_BYTES = 64 * 1024;
/** The flags bit saying the strings follow the header inline (Go 1.18+). */
const FLAG_INLINE = 2;

/** The build information of a Go ELF executable; undefined when it is not one. */
export function readGoBuildInfo(elf: ElfFile): GoRawBuildInfo | undefined {
  const start = dataStart(elf);
  if (start === undefined) return undefined;
  const data = readVirtual(elf, start.addr, SEARCH_BYTES);
  if (data === undefined) {
    if (start.named) throw binaryInvalid(elf.path, "the .go.buildinfo section is in no loaded segment");
    return undefined;
  }
  const at = findHeader(data);
  if (at === undefined) return undefined;
  const header = data.subarray(at, at + HEADER_SIZE);
  const ptrSize = header[14]!;
  const flags = header[15]!;

  let version: Buffer;
  let modinfo: Buffer;
  if ((flags & FLAG_INLINE) !== 0) {
    const afterHeader = start.addr + at + HEADER_SIZE;
    const first = inlineString(elf, afterHeader);
    version = first.value;
    modinfo = inlineString(elf, first.next).value;
  } else {
    if (ptrSize !== 4 && ptrSize !== 8)
      throw binaryInvalid(elf.path, `Go build info pointer size ${ptrSize}`);
    const readPtr = pointerReader(ptrSize, flags !== 0);
    version = pointedString(elf, readPtr, ptrSize, readPtr(header, 16));
    modinfo = pointedString(elf, readPtr, ptrSize, readPtr(header, 16 + ptrSize));
  }
  if (version.length === 0) return undefined;
  return { goVersion: version.toString("latin1"), modinfo: unframe(modinfo).toString("utf8") };
}

/** Where the header should be: the named section, else the first writable, non-executable load. */
function dataStart(elf: ElfFile): { addr: number; named: boolean } | undefined {
  const section = sectionByName(elf, ".go.buildinfo");
  if (section !== undefined) return { addr: section.addr, named: true };
  const segment = elf.segments.find((s) => s.type === PT_LOAD && (s.flags & (PF_X | PF_W)) === PF_W);
  return segment === undefined ? undefined : { addr: segment.vaddr, named: false };
}

/** The offset of the first magic at a 16-byte boundary with a whole header after it. */
function findHeader(data: Buffer): number | undefined {
  let from = 0;
  for (;;) {
    const i = data.indexOf(MAGIC, from);
    if (i < 0 || data.length - i < HEADER_SIZE) return undefined;
    if (i % ALIGN === 0) return i;
    from = Math.ceil(i / ALIGN) * ALIGN;
  }
}

function pointerReader(size: 4 | 8, bigEndian: boolean): (buf: Buffer, at: number) => number {
  if (size === 4) return (buf, at) => (bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
  return (buf, at) => {
    const v = bigEndian ? buf.readBigUInt64BE(at) : buf.readBigUInt64LE(at);
    // No real address is beyond 2^53; Infinity then matches no segment and is reported as outside.
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  };
}

/** A varint-length-prefixed string at virtual address `addr`, and the address after it. */
function inlineString(elf: ElfFile, addr: number): { value: Buffer; next: number } {
  const lengthBytes = readVirtual(elf, addr, 10);
  const varint = lengthBytes === undefined ? undefined : uvarint(lengthBytes);
  if (varint === undefined) throw binaryInvalid(elf.path, "Go build info string length unreadable");
  const value = readExactly(elf, addr + varint.size, varint.value);
  return { value, next: addr + varint.size + varint.value };
}

/** The Go string whose header (data pointer, length) is at virtual address `addr`. */
function pointedString(
  elf: ElfFile,
  readPtr: (buf: Buffer, at: number) => number,
  ptrSize: number,
  addr: number,
): Buffer {
  const header = readExactly(elf, addr, 2 * ptrSize);
  const length = readPtr(header, ptrSize);
  // An empty string (the modinfo of a binary built outside module mode) may have a nil pointer.
  if (length === 0) return Buffer.alloc(0);
  return readExactly(elf, readPtr(header, 0), length);
}

function readExactly(elf: ElfFile, addr: number, size: number): Buffer {
  const bytes = readVirtual(elf, addr, size);
  if (bytes === undefined || bytes.length < size) {
    throw binaryInvalid(elf.path, "Go build info points outside the file's loaded segments", {
      address: addr,
      size,
    });
  }
  return bytes;
}

/** Go's binary.Uvarint: 7 bits a byte, low groups first, at most 10 bytes, no 64-bit overflow. */
function uvarint(buf: Buffer): { value: number; size: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < buf.length && i < 10; i++) {
    const b = buf[i]!;
    if (i === 9 && b > 1) return undefined;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, size: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/** The module information is framed by two 16-byte sentinels (cmd/go's modload infoStart and
 *  infoEnd), the text ending in a newline before the second; without them it is not there. */
function unframe(modinfo: Buffer): Buffer {
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === 0x0a) {
    return modinfo.subarray(16, modinfo.length - 16);
  }
  return modinfo.subarray(0, 0);
}
