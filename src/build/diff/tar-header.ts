/**
 * Tar headers byte for byte as Go's archive/tar writes them for containerd's changeWriter (which
 * sets Format=PAX, truncates times to seconds and clears atime/ctime): a USTAR block whenever USTAR
 * can hold every field, else a PAX extended header ('x', named `DIR/PaxHeaders.0/BASE`) with the
 * records USTAR cannot hold, followed by the main block.
 *
 * Not tar-stream's pack (3.2): it writes the same "ustar\0" "00" magic but differs from Go in every
 * numeric field (six octal digits, a space and a NUL, "000755 \0", against Go's seven digits and a
 * NUL, "0000755\0"; an overflow becomes "777777 " where Go moves the value to a PAX record), in the
 * checksum ("dddddd \0" against "dddddd\0 "), in where a long name is split into prefix/name (at
 * the first "/" that makes the name fit, Go at the last that keeps the prefix within 155 bytes), and
 * in its PAX entries (both the 'x' block and the main block are named "PaxHeader", against Go's
 * `DIR/PaxHeaders.0/BASE` and the ASCII part of the real name). The same files would get another
 * diff ID than BuildKit gives them, so the blocks are built here (tar-stream still reads them back).
 */

export const TYPE_REG = 0x30; // '0'
export const TYPE_LINK = 0x31; // '1'
export const TYPE_SYMLINK = 0x32; // '2'
export const TYPE_CHAR = 0x33; // '3'
export const TYPE_BLOCK = 0x34; // '4'
export const TYPE_DIR = 0x35; // '5'
export const TYPE_FIFO = 0x36; // '6'
const TYPE_PAX = 0x78; // 'x'

export const BLOCK_SIZE = 512;

/** The fields a layer entry has (uname/gname are always empty, atime/ctime never written). */
export interface TarHeader {
  /** Raw name bytes, relative; a directory's ends with "/". */
  name: Buffer;
  typeflag: number;
  /** Permission bits plus setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Hard link target or symlink target, raw bytes (empty for none). */
  linkname: Buffer;
  devmajor: number;
  devminor: number;
}

// Field offsets and sizes of the V7/USTAR block.
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = 148;
const TYPEFLAG = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = 257; // "ustar\0" then version "00"
const UNAME = [265, 32] as const;
const GNAME = [297, 32] as const;
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;

const USTAR_MAGIC = Buffer.from("ustar\x0000", "latin1");
const SLASH = 0x2f;

/** Go's fitsInOctal: n-1 octal digits and a NUL. */
function fitsInOctal(width: number, value: number): boolean {
  return value >= 0 && (width >= 22 || value < 8 ** (width - 1));
}

/** Go's isASCII: no byte >= 0x80 and no NUL. */
function isASCII(s: Buffer): boolean {
  for (const c of s) if (c >= 0x80 || c === 0) return false;
  return true;
}

/** Go's toASCII: non-ASCII runes (every byte >= 0x80) and NULs dropped. */
function toASCII(s: Buffer): Buffer {
  if (isASCII(s)) return s;
  return Buffer.from(s.filter((c) => c < 0x80 && c !== 0));
}

/** Go's formatter.formatString: copy, NUL-terminate when shorter, no trailing "/" when cut. */
function formatString(block: Buffer, [offset, width]: readonly [number, number], s: Buffer): void {
  s.copy(block, offset, 0, Math.min(s.length, width));
  if (s.length < width) block[offset + s.length] = 0;
  if (s.length > width && block[offset + width - 1] === SLASH) {
    let n = width - 1;
    while (n > 0 && s[n - 1] === SLASH) n--;
    block[offset + n] = 0;
  }
}

/** Go's formatter.formatOctal: zero-padded to width-1 digits and a NUL; 0 when it does not fit. */
function formatOctal(block: Buffer, [offset, width]: readonly [number, number], value: number): void {
  const digits = (fitsInOctal(width, value) ? value : 0).toString(8).padStart(width - 1, "0");
  formatString(block, [offset, width], Buffer.from(digits, "latin1"));
}

/** Go's splitUSTARPath: a name over 100 bytes cut at the last "/" that leaves both parts fitting. */
function splitUSTARPath(name: Buffer): { prefix: Buffer; suffix: Buffer } | undefined {
  let length = name.length;
  if (length <= NAME[1] || !isASCII(name)) return undefined;
  if (length > PREFIX[1] + 1) length = PREFIX[1] + 1;
  else if (name[length - 1] === SLASH) length--;
  const i = name.subarray(0, length).lastIndexOf(SLASH);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME[1] || nlen === 0 || i > PREFIX[1]) return undefined;
  return { prefix: name.subarray(0, i), suffix: name.subarray(i + 1) };
}

/** Go's templateV7Plus + SetFormat (both USTAR and PAX main blocks carry the "ustar\0" "00" magic). */
function mainBlock(h: TarHeader, text: (s: Buffer) => Buffer, name: Buffer, prefix: Buffer): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  block[TYPEFLAG] = h.typeflag;
  formatString(block, NAME, text(name));
  formatString(block, LINKNAME, text(h.linkname));
  formatOctal(block, MODE, h.mode);
  formatOctal(block, UID, h.uid);
  formatOctal(block, GID, h.gid);
  formatOctal(block, SIZE, h.size);
  formatOctal(block, MTIME, h.mtime);
  formatString(block, UNAME, Buffer.alloc(0));
  formatString(block, GNAME, Buffer.alloc(0));
  formatOctal(block, DEVMAJOR, h.devmajor);
  formatOctal(block, DEVMINOR, h.devminor);
  formatString(block, PREFIX, prefix);
  setFormat(block);
  return block;
}

/** The magic and the checksum: six octal digits, a NUL and a space. */
function setFormat(block: Buffer): void {
  USTAR_MAGIC.copy(block, MAGIC);
  block.fill(0x20, CHKSUM, CHKSUM + 8);
  let sum = 0;
  for (const c of block) sum += c;
  formatOctal(block, [CHKSUM, 7], sum);
  block[CHKSUM + 7] = 0x20;
}

/** Go's formatPAXRecord: "LEN KEY=VALUE\n", LEN counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, "latin1"), value, Buffer.from("\n")]);
  let size = body.length + String(body.length).length;
  if (String(size).length + body.length !== size) size = String(size).length + body.length;
  return Buffer.concat([Buffer.from(String(size), "latin1"), body]);
}

/** Go's writeRawFile name for the 'x' header: path.Join(dir, "PaxHeaders.0", base), ASCII, <= 100. */
function paxHeaderName(name: Buffer): Buffer {
  const slash = name.lastIndexOf(SLASH);
  const dir = slash < 0 ? Buffer.alloc(0) : name.subarray(0, slash);
  const base = name.subarray(slash + 1);
  const parts = [dir, Buffer.from("PaxHeaders.0"), base].filter((p) => p.length > 0);
  const joined = Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from("/"), p])));
  let out = toASCII(joined).subarray(0, NAME[1]);
  let end = out.length;
  while (end > 0 && out[end - 1] === SLASH) end--;
  out = out.subarray(0, end);
  return out;
}

function paxBlocks(records: Buffer[], name: Buffer): Buffer[] {
  const data = Buffer.concat(records);
  const block = Buffer.alloc(BLOCK_SIZE);
  block[TYPEFLAG] = TYPE_PAX;
  formatString(block, NAME, paxHeaderName(name));
  formatOctal(block, MODE, 0);
  formatOctal(block, UID, 0);
  formatOctal(block, GID, 0);
  formatOctal(block, SIZE, data.length);
  formatOctal(block, MTIME, 0);
  setFormat(block);
  return [block, data, padding(data.length)];
}

const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);

/** The zero bytes that round `size` up to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? ZERO_BLOCK.subarray(0, 0) : ZERO_BLOCK.subarray(0, BLOCK_SIZE - rest);
}

/** Go's Writer.Close: two zero blocks (no padding to a record size). */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK_SIZE);

/**
 * The bytes before an entry's content: one USTAR block when USTAR holds every field (Go's
 * allowedFormats), else the PAX extended header and the main block with what fits.
 */
export function encodeHeader(h: TarHeader): Buffer[] {
  const pax = new Map<string, Buffer>();
  let ustar = true;
  const decimal = (n: number) => Buffer.from(String(n), "latin1");
  if (!isASCII(h.name) || h.name.length > NAME[1]) {
    if (splitUSTARPath(h.name) === undefined) ustar = false;
    pax.set("path", h.name);
  }
  if (!isASCII(h.linkname) || h.linkname.length > LINKNAME[1]) {
    ustar = false;
    pax.set("linkpath", h.linkname);
  }
  for (const [key, value, width] of [
    ["uid", h.uid, UID[1]],
    ["gid", h.gid, GID[1]],
    ["size", h.size, SIZE[1]],
    ["mtime", h.mtime, MTIME[1]],
  ] as const) {
    if (!fitsInOctal(width, value)) {
      ustar = false;
      pax.set(key, decimal(value));
    }
  }
  // Mode (<= 0o7777) always fits; Linux device numbers (12-bit major, 20-bit minor) do too.
  if (!fitsInOctal(DEVMAJOR[1], h.devmajor) || !fitsInOctal(DEVMINOR[1], h.devminor)) {
    throw new RangeError(`device number ${h.devmajor}:${h.devminor} does not fit a tar header`);
  }
  if (ustar) {
    const split = splitUSTARPath(h.name);
    const identity = (s: Buffer) => s;
    if (split === undefined) return [mainBlock(h, identity, h.name, Buffer.alloc(0))];
    return [mainBlock(h, identity, split.suffix, split.prefix)];
  }
  const keys = [...pax.keys()].sort();
  const records = keys.map((k) => paxRecord(k, pax.get(k)!));
  return [...paxBlocks(records, h.name), mainBlock(h, toASCII, h.name, Buffer.alloc(0))];
}
