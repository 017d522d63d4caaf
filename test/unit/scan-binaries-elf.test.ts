import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  isElf,
  PF_W,
  PF_X,
  PT_LOAD,
  readElf,
  readVirtual,
  SHT_NOBITS,
  sectionByName,
  sectionData,
} from "../../src/scan/catalog/binaries/elf.ts";

// Real ELF files of this machine: 64-bit executables and, where present, 32-bit ones.
const FILES = [
  "/bin/true",
  "/usr/sbin/runc",
  "/usr/lib/perf-core/perf-read-vdso32",
  "/usr/libexec/valgrind/memcheck-x86-linux",
].filter((p) => existsSync(p));

const hex = (s: string) => Number.parseInt(s, 16);

/** The section table as binutils' readelf prints it (index 0, the null section, left out). */
function readelfSections(path: string) {
  const out = execFileSync("readelf", ["-SW", path], { encoding: "utf8" });
  return [...out.matchAll(/^\s*\[\s*(\d+)\]\s+(.*)$/gm)]
    .filter((m) => m[1] !== "0")
    .map((m) => {
      const [name, type, addr, offset, size] = m[2]!.trim().split(/\s+/);
      return {
        name: name!,
        nobits: type === "NOBITS",
        addr: hex(addr!),
        offset: hex(offset!),
        size: hex(size!),
      };
    });
}

function readelfSegments(path: string) {
  const out = execFileSync("readelf", ["-lW", path], { encoding: "utf8" });
  return [
    ...out.matchAll(
      /^\s+(\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+) (.{3})/gm,
    ),
  ].map((m) => ({
    load: m[1] === "LOAD",
    offset: hex(m[2]!),
    vaddr: hex(m[3]!),
    filesz: hex(m[4]!),
    memsz: hex(m[5]!),
    writable: m[6]!.includes("W"),
    executable: m[6]!.includes("E"),
  }));
}

test("section and program headers agree with readelf on real 64- and 32-bit executables", () => {
  assert.ok(FILES.length >= 2);
  let saw32 = false;
  for (const path of FILES) {
    const elf = readElf(path, readFileSync(path));
    saw32 ||= !elf.is64;
    assert.ok(elf.littleEndian, path);
    assert.deepEqual(
      elf.sections.slice(1).map((s) => ({
        name: s.name,
        nobits: s.type === SHT_NOBITS,
        addr: s.addr,
        offset: s.offset,
        size: s.size,
      })),
      readelfSections(path),
      path,
    );
    assert.deepEqual(
      elf.segments.map((s) => ({
        load: s.type === PT_LOAD,
        offset: s.offset,
        vaddr: s.vaddr,
        filesz: s.filesz,
        memsz: s.memsz,
        writable: (s.flags & PF_W) !== 0,
        executable: (s.flags & PF_X) !== 0,
      })),
      readelfSegments(path),
      path,
    );
  }
  if (FILES.some((p) => p.includes("x86-linux") || p.endsWith("vdso32")))
    assert.ok(saw32, "a 32-bit file was read");
});

test("section bytes and virtual addresses map to the same file bytes", () => {
  const content = readFileSync("/usr/sbin/runc");
  const elf = readElf("runc", content);
  const rodata = sectionByName(elf, ".rodata")!;
  const bytes = sectionData(elf, rodata);
  assert.equal(bytes.length, rodata.size);
  // The same bytes through the segment that loads .rodata.
  assert.ok(readVirtual(elf, rodata.addr, 4096)!.equals(bytes.subarray(0, 4096)));
  // A read is cut at its segment's end; an unmapped address is undefined.
  const load = elf.segments.find((s) => s.type === PT_LOAD)!;
  assert.equal(readVirtual(elf, load.vaddr + load.filesz - 10, 100)!.length, 10);
  assert.equal(readVirtual(elf, 0x10, 16), undefined);
  const bss = sectionByName(elf, ".bss")!;
  assert.equal(bss.type, SHT_NOBITS);
  assert.equal(sectionData(elf, bss).length, 0);
});

test("truncated or damaged ELF files are SCAN_BINARY_INVALID naming the path", () => {
  const content = readFileSync("/bin/true");
  const invalid = (why: RegExp) => (err: unknown) =>
    isWharfError(err, "SCAN_BINARY_INVALID") &&
    err.message.startsWith("usr/bin/x: ") &&
    why.test(err.message);
  assert.throws(() => readElf("usr/bin/x", content.subarray(0, 40)), invalid(/header truncated/));
  assert.throws(() => readElf("usr/bin/x", content.subarray(0, 200)), invalid(/header table lies outside/));
  assert.throws(
    () => readElf("usr/bin/x", content.subarray(0, content.length - 64)),
    invalid(/section header table/),
  );
  const badClass = Buffer.from(content);
  badClass[4] = 7;
  assert.throws(() => readElf("usr/bin/x", badClass), invalid(/unknown ELF class 7/));
  const badNames = Buffer.from(content);
  badNames.writeUInt16LE(0x7fff, 62); // e_shstrndx beyond the section count
  assert.throws(() => readElf("usr/bin/x", badNames), invalid(/section name table index/));
  const badSection = Buffer.from(content);
  const shoff = Number(content.readBigUInt64LE(40));
  badSection.writeBigUInt64LE(BigInt(content.length), shoff + 64 + 24); // section 1's offset: the file's end
  assert.throws(() => readElf("usr/bin/x", badSection), invalid(/section 1 lies outside/));
  const hugeOffset = Buffer.from(content);
  hugeOffset.writeBigUInt64LE(0xffff_ffff_ffff_0000n, 32); // e_phoff beyond 2^53
  assert.throws(() => readElf("usr/bin/x", hugeOffset), invalid(/program header table lies outside/));
  assert.throws(() => readElf("usr/bin/x", Buffer.from("#!/bin/sh\n")), invalid(/not an ELF file/));
  assert.ok(isElf(content));
  assert.ok(!isElf(Buffer.from("\x7fEL")));
});
