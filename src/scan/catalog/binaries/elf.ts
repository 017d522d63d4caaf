/**
 * A minimal ELF reader for the binary catalogers: the file header, the program headers (segments,
 * to turn virtual addresses into file offsets) and the section headers with their names. 32- and
 * 64-bit, little- and big-endian. Every table and every section's or segment's bytes are checked to
 * lie inside the file when it is read, so what the catalogers slice afterwards cannot run past it.
 * Field offsets follow the System V ABI's ELF specification (the gABI "Object Files" chapter).
 */
import { binaryInvalid } from "./binary-invalid.ts";

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
/** A section that occupies no bytes in the file (.bss). */
export const SHT_NOBITS = 8;

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfSection {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfFile {
  path: string;
  content: Buffer;
  is64: boolean;
  littleEndian: boolean;
  segments: ElfSegment[];
  sections: ElfSection[];
}

export function isElf(content: Buffer): boolean {
  return content.length >= 4 && content.readUInt32BE(0) === 0x7f454c46;
}

/** Reads the unsigned integers of one file's byte order; 64-bit values beyond 2^53 become Infinity,
 *  which no real offset, size or user-space address is, so every range check involving one fails. */
class Fields {
  readonly buf: Buffer;
  readonly le: boolean;
  constructor(buf: Buffer, le: boolean) {
    this.buf = buf;
    this.le = le;
  }
  u16(at: number): number {
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }
  u32(at: number): number {
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
  u64(at: number): number {
    const v = this.le ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
  /** A word of the file's class: 8 bytes in ELF64, 4 in ELF32. */
  word(at: number, is64: boolean): number {
    return is64 ? this.u64(at) : this.u32(at);
  }
}

/** Layout of the header fields that differ between ELF32 and ELF64. */
const LAYOUT = {
  32: { ehsize: 52, phoff: 28, shoff: 32, phentsize: 42, phent: 32, shent: 40 },
  64: { ehsize: 64, phoff: 32, shoff: 40, phentsize: 54, phent: 56, shent: 64 },
} as const;

const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

export function readElf(path: string, content: Buffer): ElfFile {
  if (!isElf(content)) throw binaryInvalid(path, "not an ELF file");
  if (content.length < 16) throw binaryInvalid(path, "ELF header truncated");
  const cls = content[4];
  const data = content[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) {
    throw binaryInvalid(path, `unknown ELF class ${cls} or byte order ${data}`);
  }
  const is64 = cls === 2;
  const layout = LAYOUT[is64 ? 64 : 32];
  if (content.length < layout.ehsize) throw binaryInvalid(path, "ELF header truncated");
  const f = new Fields(content, data === 1);

  const phoff = f.word(layout.phoff, is64);
  const shoff = f.word(layout.shoff, is64);
  const phentsize = f.u16(layout.phentsize);
  let phnum = f.u16(layout.phentsize + 2);
  const shentsize = f.u16(layout.phentsize + 4);
  let shnum = f.u16(layout.phentsize + 6);
  let shstrndx = f.u16(layout.phentsize + 8);

  const table = (what: string, off: number, entsize: number, minEntsize: number, count: number) => {
    if (count === 0) return;
    if (entsize < minEntsize) throw binaryInvalid(path, `ELF ${what} entry size ${entsize} too small`);
    if (off + entsize * count > content.length) {
      throw binaryInvalid(path, `ELF ${what} table lies outside the file (truncated?)`);
    }
  };

  // Extended numbering: with more than 0xfff0 sections or 0xffff segments the real counts and the
  // name table's index live in the first section header (gABI "Sections", "Special Sections").
  if (shoff !== 0) {
    table("section header", shoff, shentsize, layout.shent, 1);
    if (shnum === 0) shnum = f.word(shoff + (is64 ? 32 : 20), is64);
    if (shstrndx === SHN_XINDEX) shstrndx = f.u32(shoff + (is64 ? 40 : 24));
    if (phnum === PN_XNUM) phnum = f.u32(shoff + (is64 ? 44 : 28));
  } else {
    shnum = 0;
  }
  table("program header", phoff, phentsize, layout.phent, phnum);
  table("section header", shoff, shentsize, layout.shent, shnum);

  const inFile = (what: string, offset: number, size: number) => {
    if (offset + size > content.length)
      throw binaryInvalid(path, `ELF ${what} lies outside the file (truncated?)`);
  };

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const segment = is64
      ? {
          type: f.u32(at),
          flags: f.u32(at + 4),
          offset: f.u64(at + 8),
          vaddr: f.u64(at + 16),
          filesz: f.u64(at + 32),
          memsz: f.u64(at + 40),
        }
      : {
          type: f.u32(at),
          offset: f.u32(at + 4),
          vaddr: f.u32(at + 8),
          filesz: f.u32(at + 16),
          memsz: f.u32(at + 20),
          flags: f.u32(at + 24),
        };
    inFile(`segment ${i}`, segment.offset, segment.filesz);
    segments.push(segment);
  }

  const raw: (Omit<ElfSection, "name"> & { nameOffset: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const section = {
      nameOffset: f.u32(at),
      type: f.u32(at + 4),
      addr: f.word(at + (is64 ? 16 : 12), is64),
      offset: f.word(at + (is64 ? 24 : 16), is64),
      size: f.word(at + (is64 ? 32 : 20), is64),
    };
    // Index 0 is the reserved null section (its fields may hold the extended counts above).
    if (i > 0 && section.type !== SHT_NOBITS) inFile(`section ${i}`, section.offset, section.size);
    raw.push(section);
  }

  let names: Buffer | undefined;
  if (shnum > 0 && shstrndx !== 0) {
    const strtab = raw[shstrndx];
    if (strtab === undefined || strtab.type === SHT_NOBITS) {
      throw binaryInvalid(path, `ELF section name table index ${shstrndx} is not a section`);
    }
    names = content.subarray(strtab.offset, strtab.offset + strtab.size);
  }
  const sections = raw.map(({ nameOffset, ...section }, i) => ({
    ...section,
    name: i === 0 || names === undefined ? "" : sectionName(path, names, nameOffset),
  }));
  return { path, content, is64, littleEndian: data === 1, segments, sections };
}

function sectionName(path: string, names: Buffer, offset: number): string {
  if (offset >= names.length) throw binaryInvalid(path, "ELF section name lies outside the name table");
  const end = names.indexOf(0, offset);
  return names.toString("latin1", offset, end < 0 ? names.length : end);
}

export function sectionByName(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/** A section's bytes in the file (none for SHT_NOBITS); a view, not a copy. */
export function sectionData(elf: ElfFile, section: ElfSection): Buffer {
  if (section.type === SHT_NOBITS) return elf.content.subarray(0, 0);
  return elf.content.subarray(section.offset, section.offset + section.size);
}

/**
 * Up to `size` bytes at virtual address `addr`, from the segment whose file bytes hold it, as Go's
 * debug/buildinfo reads them (elfExe.ReadData): fewer when the segment ends first; undefined when no
 * segment's file bytes hold the address.
 */
export function readVirtual(elf: ElfFile, addr: number, size: number): Buffer | undefined {
  for (const s of elf.segments) {
    if (s.filesz > 0 && s.vaddr <= addr && addr < s.vaddr + s.filesz) {
      const start = s.offset + (addr - s.vaddr);
      const n = Math.min(size, s.vaddr + s.filesz - addr);
      return elf.content.subarray(start, start + n);
    }
  }
  return undefined;
}
