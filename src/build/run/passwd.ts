/**
 * The user a RUN step runs as, resolved the way BuildKit does (executor/oci/user.go GetUser): a
 * "uid:gid" pair of numbers is taken as it is; anything else goes through runc's
 * libcontainer/user GetExecUser against the rootfs's /etc/passwd and /etc/group, read from inside
 * the root (links resolved within it). Supplementary groups come from /etc/group membership, and
 * only when no group was named (GetExecUser's "implicit form"). Errors use runc's words, which
 * BuildKit shows: `unable to find user NAME: no matching entries in passwd file`. Synchronous:
 * two small files.
 */
import { readFileSync } from "node:fs";
import { WharfError } from "../../errors.ts";
import { resolveInRoot } from "../root-path.ts";

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary group IDs from /etc/group (in file order). */
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

/** Resolves `spec` ("", "name", "uid", "name:group", "uid:gid") against the rootfs at `rootfs`. */
export function resolveUser(rootfs: string, spec: string): ExecUser {
  if (spec === "") return { uid: 0, gid: 0, additionalGids: [] };
  const fast = numericPair(spec);
  if (fast) return fast;
  return execUser(spec, readRootFile(rootfs, "/etc/passwd"), readRootFile(rootfs, "/etc/group"));
}

/** BuildKit's ParseUIDGID fast path: both parts present and unsigned 32-bit numbers. */
function numericPair(spec: string): ExecUser | undefined {
  const colon = spec.indexOf(":");
  if (colon < 0) return undefined;
  const uid = parseUint32(spec.slice(0, colon));
  const gid = parseUint32(spec.slice(colon + 1));
  return uid === undefined || gid === undefined ? undefined : { uid, gid, additionalGids: [] };
}

function parseUint32(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

/** Go's strconv.Atoi, for what it accepts; undefined where it would fail. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The file's text, or undefined if the rootfs has none (runc then treats it as absent). */
function readRootFile(rootfs: string, path: string): string | undefined {
  try {
    return readFileSync(resolveInRoot(rootfs, path), "utf8");
  } catch {
    return undefined;
  }
}

/** runc's GetExecUser with no defaults (uid 0, gid 0). Exported for tests of the rules. */
export function execUser(spec: string, passwd: string | undefined, group: string | undefined): ExecUser {
  // parseLine: "user" or "user:group"; further fields are ignored.
  const [userArg = "", groupArg = ""] = spec.split(":");
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const user: ExecUser = { uid: 0, gid: 0, additionalGids: [] };

  const users = parseEntries(passwd).map(passwdEntry);
  const match = users.find((u) =>
    userArg === "" ? u.uid === user.uid : uidArg !== undefined ? u.uid === uidArg : u.name === userArg,
  );
  let matchedName = "";
  if (match) {
    matchedName = match.name;
    user.uid = match.uid;
    user.gid = match.gid;
  } else if (userArg !== "") {
    if (uidArg === undefined) {
      throw new WharfError(
        "RUN_USER_UNKNOWN",
        `unable to find user ${userArg}: no matching entries in passwd file`,
        { user: userArg },
      );
    }
    user.uid = checkRange(uidArg);
  }

  if (groupArg !== "" || matchedName !== "") {
    const groups = parseEntries(group)
      .map(groupEntry)
      .filter((g) =>
        groupArg === ""
          ? g.members.includes(matchedName)
          : gidArg !== undefined
            ? g.gid === gidArg
            : g.name === groupArg,
      );
    if (groupArg !== "") {
      const first = groups[0];
      if (first) user.gid = first.gid;
      else if (gidArg === undefined) {
        throw new WharfError(
          "RUN_USER_UNKNOWN",
          `unable to find group ${groupArg}: no matching entries in group file`,
          { group: groupArg },
        );
      } else user.gid = checkRange(gidArg);
    } else {
      user.additionalGids = groups.map((g) => g.gid);
    }
  }
  return user;
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) {
    throw new WharfError("RUN_USER_UNKNOWN", "uids and gids must be in range 0-2147483647", { id });
  }
  return id;
}

/** Non-empty trimmed lines split on ":" (runc's parseLine). */
function parseEntries(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => line.split(":"));
}

/** runc ignores numbers that do not parse (0), "because of some misbehaving configuration files". */
function field(parts: string[], i: number): number {
  return atoi(parts[i] ?? "") ?? 0;
}

function passwdEntry(parts: string[]): PasswdEntry {
  return { name: parts[0] ?? "", uid: field(parts, 2), gid: field(parts, 3) };
}

function groupEntry(parts: string[]): GroupEntry {
  const list = parts[3] ?? "";
  return { name: parts[0] ?? "", gid: field(parts, 2), members: list === "" ? [] : list.split(",") };
}
