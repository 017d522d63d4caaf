/**
 * COPY/ADD --chown: "user", "uid", "user:group", "uid:gid" (llb.WithUser splits at the first ":";
 * "root" and decimal numbers are ids, anything else a name). Names are looked up in the
 * destination's /etc/passwd and /etc/group, resolved inside its root, as BuildKit's readUser does:
 * a user's name gives its uid and primary gid, a bare uid is also the gid. A name that is not found
 * is not an error in BuildKit (the id stays 0, or the user's gid for a group): the result says
 * which names were unknown so that the caller can warn.
 */
import { open } from "node:fs/promises";
import { WharfError } from "../../errors.ts";
import { resolveInRoot } from "../root-path.ts";

export interface ChownIds {
  uid: number;
  gid: number;
}

export interface ResolvedChown extends ChownIds {
  /** The user name that /etc/passwd did not have (BuildKit uses uid 0 and gid 0). */
  unknownUser?: string;
  /** The group name that /etc/group did not have (BuildKit keeps the user's gid). */
  unknownGroup?: string;
}

type IdOrName = { id: number } | { name: string };

/** BuildKit's limit on the size of passwd and group files. */
const MAX_USER_FILE_BYTES = 10 << 20;

/** parseUID: "root" is 0; a base-10 int32 is an id; anything else a name. */
function idOrName(text: string): IdOrName {
  if (text === "root") return { id: 0 };
  if (/^[+-]?[0-9]+$/.test(text)) {
    const value = Number(text);
    if (value >= -(2 ** 31) && value < 2 ** 31) return { id: value };
  }
  return { name: text };
}

/** The user and group parts of a --chown value. */
export function parseChown(spec: string): { user: IdOrName; group: IdOrName | undefined } {
  const colon = spec.indexOf(":");
  if (colon < 0) return { user: idOrName(spec), group: undefined };
  return { user: idOrName(spec.slice(0, colon)), group: idOrName(spec.slice(colon + 1)) };
}

/** The ids `spec` means inside the root file system `root` (the COPY's destination). */
export async function resolveChown(spec: string, root: string): Promise<ResolvedChown> {
  const { user, group } = parseChown(spec);
  const result: ResolvedChown = { uid: 0, gid: 0 };
  if ("id" in user) {
    result.uid = user.id;
    result.gid = user.id;
  } else {
    const entry = (await readDatabase(root, "/etc/passwd")).find((fields) => fields[0] === user.name);
    if (entry === undefined) result.unknownUser = user.name;
    else {
      result.uid = atoi(entry[2]);
      result.gid = atoi(entry[3]);
    }
  }
  if (group !== undefined) {
    if ("id" in group) result.gid = group.id;
    else {
      const entry = (await readDatabase(root, "/etc/group")).find((fields) => fields[0] === group.name);
      if (entry === undefined) result.unknownGroup = group.name;
      else result.gid = atoi(entry[2]);
    }
  }
  return result;
}

/** moby/sys/user's parse of an int field: strconv.Atoi, failures count as 0. */
function atoi(field: string | undefined): number {
  if (field === undefined || !/^[+-]?[0-9]+$/.test(field)) return 0;
  const value = Number(field);
  return Number.isSafeInteger(value) ? value : 0;
}

/** The ":"-split lines of a passwd or group file; a missing file is no entries (as BuildKit). */
async function readDatabase(root: string, file: string): Promise<string[][]> {
  const path = resolveInRoot(root, file);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new WharfError("BUILD_COPY_INVALID", `${file} is not a regular file`, { path: file });
    }
    if (st.size > MAX_USER_FILE_BYTES) {
      throw new WharfError("BUILD_COPY_INVALID", `"${file}" exceeds ${MAX_USER_FILE_BYTES} bytes`, {
        path: file,
      });
    }
    const text = (await handle.readFile()).toString("utf8");
    return text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .map((line) => line.split(":"));
  } finally {
    await handle.close();
  }
}
