import assert from "node:assert/strict";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { readElf } from "../../src/scan/catalog/binaries/elf.ts";
import { goBinaryCataloger } from "../../src/scan/catalog/binaries/go-binary.ts";
import { readGoBuildInfo } from "../../src/scan/catalog/binaries/go-buildinfo.ts";
import type { FoundPackage } from "../../src/scan/catalog/types.ts";

// The pre-1.18 pointer format. No Go binary older than 1.18 is on this machine, so these tests build
// small ELF files by hand in the layout Go's linker used: the 32-byte header holding two addresses
// of Go string headers (data address, length), in the binary's byte order and pointer size.

function catalog(path: string, content: Buffer): FoundPackage[] {
  return goBinaryCataloger.read({ path, mode: 0o755, content }) as FoundPackage[];
}

function isBinaryInvalid(path: string) {
  return (err: unknown) => isWharfError(err, "SCAN_BINARY_INVALID") && err.message.startsWith(`${path}: `);
}

/** cmd/go's module info sentinels (modload infoStart, infoEnd). */
const INFO_START = Buffer.from("3077af0c9274080241e1c107e6d618e6", "hex");
const INFO_END = Buffer.from("f932433186182072008242104116d8f2", "hex");
const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");

const OLD_MODINFO = [
  "path\texample.com/hello",
  "mod\texample.com/hello\tv1.2.0\th1:mainsum=",
  "dep\tgithub.com/sirupsen/logrus\tv1.4.2\th1:logrussum=",
  "dep\tgolang.org/x/sys\tv0.0.0-20190422165155-953cdadca894",
  "=>\tgolang.org/x/sys\tv0.0.0-20200323222414-85ca7c5b95cd\th1:syssum=",
  "dep\texample.com/local\tv0.0.0",
  "=>\t../local\t\t",
  "",
].join("\n");

class Writer {
  readonly buf: Buffer;
  readonly le: boolean;
  constructor(size: number, le: boolean) {
    this.buf = Buffer.alloc(size);
    this.le = le;
  }
  u8(at: number, v: number) {
    this.buf[at] = v;
  }
  u16(at: number, v: number) {
    this.le ? this.buf.writeUInt16LE(v, at) : this.buf.writeUInt16BE(v, at);
  }
  u32(at: number, v: number) {
    this.le ? this.buf.writeUInt32LE(v, at) : this.buf.writeUInt32BE(v, at);
  }
  word(at: number, v: number, is64: boolean) {
    if (!is64) return this.u32(at, v);
    this.le ? this.buf.writeBigUInt64LE(BigInt(v), at) : this.buf.writeBigUInt64BE(BigInt(v), at);
  }
}

/** The data segment of a pointer-format binary: `lead` bytes, the header, the two string headers,
 *  the strings. `modinfo` undefined: a nil, empty modinfo (a build outside module mode). */
function pointerBlob(opts: {
  vaddr: number;
  is64: boolean;
  le: boolean;
  lead?: Buffer;
  goVersion: string;
  modinfo?: string;
  versionAddr?: number;
}): Buffer {
  const p = opts.is64 ? 8 : 4;
  const lead = opts.lead ?? Buffer.alloc(0);
  const version = Buffer.from(opts.goVersion);
  const modinfo =
    opts.modinfo === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([INFO_START, Buffer.from(opts.modinfo), INFO_END]);
  const header = lead.length;
  const strings = header + 32;
  const bytes = strings + 4 * p;
  const w = new Writer(bytes + version.length + modinfo.length, opts.le);
  lead.copy(w.buf, 0);
  MAGIC.copy(w.buf, header);
  w.u8(header + 14, p);
  w.u8(header + 15, opts.le ? 0 : 1);
  w.word(header + 16, opts.vaddr + strings, opts.is64);
  w.word(header + 16 + p, opts.vaddr + strings + 2 * p, opts.is64);
  w.word(strings, opts.versionAddr ?? opts.vaddr + bytes, opts.is64);
  w.word(strings + p, version.length, opts.is64);
  w.word(strings + 2 * p, opts.modinfo === undefined ? 0 : opts.vaddr + bytes + version.length, opts.is64);
  w.word(strings + 3 * p, modinfo.length, opts.is64);
  version.copy(w.buf, bytes);
  modinfo.copy(w.buf, bytes + version.length);
  return w.buf;
}

/** An executable with a read-only code segment (the headers) and a writable data segment at
 *  `vaddr` holding `data`; with `sections`, a .go.buildinfo section over the data and the name table. */
function syntheticElf(opts: { is64: boolean; le: boolean; vaddr: number; data: Buffer; sections: boolean }) {
  const { is64, le } = opts;
  const [ehsize, phent, shent] = is64 ? [64, 56, 64] : [52, 32, 40];
  const dataOff = 256;
  const names = Buffer.from("\0.go.buildinfo\0.shstrtab\0");
  const namesOff = dataOff + opts.data.length;
  const shoff = opts.sections ? namesOff + names.length : 0;
  const w = new Writer((opts.sections ? shoff + 3 * shent : namesOff) + 64, le);
  w.buf.writeUInt32BE(0x7f454c46, 0);
  w.u8(4, is64 ? 2 : 1);
  w.u8(5, le ? 1 : 2);
  w.u8(6, 1);
  w.u16(16, 2); // ET_EXEC
  const f = is64 ? { phoff: 32, shoff: 40, rest: 52 } : { phoff: 28, shoff: 32, rest: 40 };
  w.word(f.phoff, ehsize, is64);
  w.word(f.shoff, shoff, is64);
  w.u16(f.rest, ehsize);
  w.u16(f.rest + 2, phent);
  w.u16(f.rest + 4, 2);
  w.u16(f.rest + 6, shent);
  w.u16(f.rest + 8, opts.sections ? 3 : 0);
  w.u16(f.rest + 10, opts.sections ? 2 : 0);
  const segment = (i: number, flags: number, offset: number, vaddr: number, size: number) => {
    const at = ehsize + i * phent;
    w.u32(at, 1); // PT_LOAD
    if (is64) {
      w.u32(at + 4, flags);
      w.word(at + 8, offset, true);
      w.word(at + 16, vaddr, true);
      w.word(at + 32, size, true);
      w.word(at + 40, size, true);
    } else {
      w.u32(at + 4, offset);
      w.u32(at + 8, vaddr);
      w.u32(at + 16, size);
      w.u32(at + 20, size);
      w.u32(at + 24, flags);
    }
  };
  segment(0, 5, 0, 0x400000, dataOff); // R+X
  segment(1, 6, dataOff, opts.vaddr, opts.data.length); // R+W
  opts.data.copy(w.buf, dataOff);
  if (opts.sections) {
    names.copy(w.buf, namesOff);
    const section = (i: number, name: number, type: number, addr: number, offset: number, size: number) => {
      const at = shoff + i * shent;
      w.u32(at, name);
      w.u32(at + 4, type);
      w.word(at + (is64 ? 16 : 12), addr, is64);
      w.word(at + (is64 ? 24 : 16), offset, is64);
      w.word(at + (is64 ? 32 : 20), size, is64);
    };
    section(1, 1, 1, opts.vaddr, dataOff, opts.data.length); // .go.buildinfo, PROGBITS
    section(2, 15, 3, 0, namesOff, names.length); // .shstrtab, STRTAB
  }
  return w.buf;
}

const OLD_EXPECTED: FoundPackage[] = [
  { type: "golang", name: "example.com/hello", version: "v1.2.0", goVersion: "go1.13.15" },
  { type: "golang", name: "github.com/sirupsen/logrus", version: "v1.4.2", goVersion: "go1.13.15" },
  {
    type: "golang",
    name: "golang.org/x/sys",
    version: "v0.0.0-20200323222414-85ca7c5b95cd",
    goVersion: "go1.13.15",
  },
  { type: "golang", name: "stdlib", version: "1.13.15", goVersion: "go1.13.15" },
];

test("pointer format, 64-bit little-endian, found through the .go.buildinfo section", () => {
  const vaddr = 0x6a0000;
  const data = pointerBlob({ vaddr, is64: true, le: true, goVersion: "go1.13.15", modinfo: OLD_MODINFO });
  const content = syntheticElf({ is64: true, le: true, vaddr, data, sections: true });
  const elf = readElf("hello", content);
  assert.deepEqual(
    elf.sections.map((s) => s.name),
    ["", ".go.buildinfo", ".shstrtab"],
  );
  assert.deepEqual(catalog("hello", content), OLD_EXPECTED);
});

test("pointer format, 32-bit big-endian, no sections: the aligned magic in the data segment", () => {
  const vaddr = 0x10020000;
  // A misaligned copy of the magic first: Go's reader skips it and takes the one at a 16-byte boundary.
  const lead = Buffer.alloc(48);
  MAGIC.copy(lead, 3);
  const data = pointerBlob({
    vaddr,
    is64: false,
    le: false,
    lead,
    goVersion: "go1.13.15",
    modinfo: OLD_MODINFO,
  });
  const content = syntheticElf({ is64: false, le: false, vaddr, data, sections: false });
  const elf = readElf("hello32", content);
  assert.equal(elf.is64, false);
  assert.equal(elf.littleEndian, false);
  assert.deepEqual(elf.sections, []);
  assert.deepEqual(catalog("hello32", content), OLD_EXPECTED);
});

test("pointer format built outside module mode: a nil modinfo, only stdlib", () => {
  const vaddr = 0x500000;
  const data = pointerBlob({ vaddr, is64: true, le: true, goVersion: "go1.10.8" });
  const content = syntheticElf({ is64: true, le: true, vaddr, data, sections: true });
  assert.deepEqual(readGoBuildInfo(readElf("old", content)), { goVersion: "go1.10.8", modinfo: "" });
  assert.deepEqual(catalog("old", content), [
    { type: "golang", name: "stdlib", version: "1.10.8", goVersion: "go1.10.8" },
  ]);
});

test("build info pointing outside the file, or strings running past it: SCAN_BINARY_INVALID", () => {
  const vaddr = 0x500000;
  const outside = pointerBlob({ vaddr, is64: true, le: true, goVersion: "go1.13", versionAddr: 0x7fff0000 });
  const content = syntheticElf({ is64: true, le: true, vaddr, data: outside, sections: true });
  assert.throws(() => catalog("bin/outside", content), isBinaryInvalid("bin/outside"));

  // Inline (Go 1.18+) format whose version length runs past the segment's end.
  const inline = Buffer.alloc(64);
  MAGIC.copy(inline, 0);
  inline[14] = 8;
  inline[15] = 2;
  inline[32] = 0x7f; // 127 bytes of version, 31 there
  const runsPast = syntheticElf({ is64: true, le: true, vaddr, data: inline, sections: true });
  assert.throws(() => catalog("bin/past", runsPast), isBinaryInvalid("bin/past"));

  // A header with no pointer size Go ever wrote.
  const oddPointer = Buffer.from(outside);
  oddPointer[14] = 2;
  const odd = syntheticElf({ is64: true, le: true, vaddr, data: oddPointer, sections: true });
  assert.throws(() => catalog("bin/odd", odd), isBinaryInvalid("bin/odd"));
});

test("a Go binary whose module info Go would refuse is SCAN_BINARY_INVALID", () => {
  const vaddr = 0x500000;
  const data = pointerBlob({ vaddr, is64: true, le: true, goVersion: "go1.16", modinfo: "dep\tbroken\n" });
  const content = syntheticElf({ is64: true, le: true, vaddr, data, sections: true });
  assert.throws(() => catalog("bin/broken", content), isBinaryInvalid("bin/broken"));
});
