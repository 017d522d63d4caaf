/**
 * COPY/ADD --chmod as current BuildKit reads it: an octal number up to 07777, or else a symbolic
 * mode as chmod(1) writes it ("u+x,g-w", "go=u-w", "+X", "a=rwx,o-w"), parsed by BSD's setmode
 * (BuildKit uses tonistiigi/dchapes-mode, a Go port of it, with a umask of 0). The symbolic
 * clauses are applied one after another to the copied entry's own mode.
 */
import { WharfError } from "../../errors.ts";

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const RWXU = 0o700;
const RWXG = 0o070;
const RWXO = 0o007;
const STANDARD_BITS = S_ISUID | S_ISGID | RWXU | RWXG | RWXO;
const ALL_X = 0o111;

export interface Chmod {
  /** The octal form's value, which BuildKit also gives the parent directories it creates. */
  readonly octal: number | undefined;
  /** The new permission bits (07777) of an entry whose current mode is `mode`. */
  apply(mode: number, isDir: boolean): number;
}

/** One setmode command: '+', '-', 'X' with bits, or 'u'/'g'/'o' copying one class's bits. */
interface BitCommand {
  cmd: "+" | "-" | "X" | "u" | "g" | "o";
  bits: number;
  /** For u/g/o: which classes receive the copy, and whether to clear and/or set. */
  toU?: boolean;
  toG?: boolean;
  toO?: boolean;
  clear?: boolean;
  set?: boolean;
}

function nonOctal(text: string): WharfError {
  return new WharfError(
    "BUILD_COPY_INVALID",
    `invalid chmod parameter: '${text}'. it should be octal string and between 0 and 07777`,
    { chmod: text },
  );
}

/** Parses --chmod (dispatchCopy's rules and words). */
export function parseChmod(text: string): Chmod {
  if (/^[0-7]+$/.test(text)) {
    const value = Number.parseInt(text, 8);
    if (value > 0o7777) throw nonOctal(text);
    return { octal: value, apply: () => value };
  }
  // A leading digit is an absolute mode to setmode; one that is not octal is the octal error.
  if (/^[0-9]/.test(text)) throw nonOctal(text);
  const commands = parseSymbolic(text);
  return {
    octal: undefined,
    apply: (mode, isDir) => applyCommands(commands, mode & 0o7777, isDir),
  };
}

function syntaxError(text: string): WharfError {
  // BuildKit returns setmode's bare error.
  return new WharfError("BUILD_COPY_INVALID", "invalid syntax", { chmod: text });
}

/** setmode's parser (umask 0), without its compaction of consecutive commands. */
function parseSymbolic(text: string): BitCommand[] {
  const commands: BitCommand[] = [];
  let s = text;
  if (s === "") throw syntaxError(text);
  const add = (op: string, who: number, oparg: number): void => {
    if (op === "=") {
      commands.push({ cmd: "-", bits: who !== 0 ? who : STANDARD_BITS });
      op = "+";
    }
    if (op === "+" || op === "-" || op === "X") {
      commands.push({ cmd: op, bits: who !== 0 ? who & oparg : oparg });
      return;
    }
    // op is u, g or o; oparg is the operator's character code.
    const command: BitCommand = { cmd: op as "u" | "g" | "o", bits: 0 };
    if (who !== 0) {
      command.toU = (who & 0o400) !== 0;
      command.toG = (who & 0o040) !== 0;
      command.toO = (who & 0o004) !== 0;
      command.bits = 0xffff;
    } else {
      command.toU = command.toG = command.toO = true;
      command.bits = 0xffff;
    }
    const operator = String.fromCharCode(oparg);
    command.clear = operator === "-" || operator === "=";
    command.set = operator === "+" || operator === "=";
    commands.push(command);
  };

  let equalOpDone = false;
  for (;;) {
    let who = 0;
    for (;;) {
      if (s.length === 0) throw syntaxError(text);
      const c = s[0];
      if (c === "a") who |= STANDARD_BITS;
      else if (c === "u") who |= S_ISUID | RWXU;
      else if (c === "g") who |= S_ISGID | RWXG;
      else if (c === "o") who |= RWXO;
      else break;
      s = s.slice(1);
    }
    let more = true;
    while (more) {
      const op = s[0]!;
      s = s.slice(1);
      if (op === "=") equalOpDone = false;
      else if (op !== "+" && op !== "-") throw syntaxError(text);
      who &= ~S_ISVTX;
      let perm = 0;
      let permX = 0;
      for (; ; s = s.slice(1)) {
        const b = s[0] ?? "";
        if (b === "r") perm |= 0o444;
        else if (b === "s") {
          if (who === 0 || (who & ~RWXO) !== 0) perm |= S_ISUID | S_ISGID;
        } else if (b === "t") {
          if (who === 0 || (who & ~RWXO) !== 0) {
            who |= S_ISVTX;
            perm |= S_ISVTX;
          }
        } else if (b === "w") perm |= 0o222;
        else if (b === "X") {
          if (op !== "-") permX = ALL_X;
          else perm |= ALL_X;
        } else if (b === "x") perm |= ALL_X;
        else if (b === "u" || b === "g" || b === "o") {
          if (perm !== 0) {
            add(op, who, perm);
            perm = 0;
          }
          if (op === "=") equalOpDone = true;
          if (permX !== 0) {
            add("X", who, permX);
            permX = 0;
          }
          add(b, who, op.charCodeAt(0));
        } else {
          if (perm !== 0 || (op === "=" && !equalOpDone)) {
            if (op === "=") equalOpDone = true;
            add(op, who, perm);
          }
          if (permX !== 0) add("X", who, permX);
          break;
        }
      }
      if (s === "") return commands;
      // Another operator continues the clause with the same "who"; a comma starts a new clause.
      more = s[0] !== ",";
    }
    s = s.slice(1);
  }
}

function applyCommands(commands: readonly BitCommand[], original: number, isDir: boolean): number {
  let mode = original;
  for (const c of commands) {
    switch (c.cmd) {
      case "+":
        mode |= c.bits;
        break;
      case "-":
        mode &= ~c.bits;
        break;
      case "X":
        if ((original & ALL_X) !== 0 || isDir) mode |= c.bits;
        break;
      default: {
        const value = c.cmd === "u" ? (mode & RWXU) >> 6 : c.cmd === "g" ? (mode & RWXG) >> 3 : mode & RWXO;
        if (c.clear) {
          const clearValue = c.set ? RWXO : value;
          if (c.toU) mode &= ~((clearValue << 6) & c.bits);
          if (c.toG) mode &= ~((clearValue << 3) & c.bits);
          if (c.toO) mode &= ~(clearValue & c.bits);
        }
        if (c.set) {
          if (c.toU) mode |= (value << 6) & c.bits;
          if (c.toG) mode |= (value << 3) & c.bits;
          if (c.toO) mode |= value & c.bits;
        }
      }
    }
  }
  return mode & 0o7777;
}
