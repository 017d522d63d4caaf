/**
 * RUN --mount values, a TypeScript port of BuildKit's commands_runmount.go parseMount. At parse
 * time there is no expander (build args are not known yet) and BuildKit checks only that `from`
 * uses no variable; the build calls `parseMount` again with its expander to get the full mount.
 */
import { csvFields } from "./csv-fields.ts";
import { parseGoBool, parseGoUint } from "./go-values.ts";
import { instructionError } from "./instruction-error.ts";
import { withSuggestion } from "./suggest.ts";

export type MountType = "bind" | "cache" | "tmpfs" | "secret" | "ssh";
export type MountSharing = "shared" | "private" | "locked";

export interface Mount {
  type: MountType;
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs size in bytes (0: no limit). */
  sizeLimit: number;
  cacheId: string;
  cacheSharing: MountSharing | "";
  required: boolean;
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Expands one word (the build's shell lexer over its build args). */
export type WordExpander = (word: string) => string;

const MOUNT_TYPES = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING_MODES = ["shared", "private", "locked"];
const MOUNT_KEYS = [
  "type",
  "from",
  "source",
  "target",
  "readonly",
  "id",
  "sharing",
  "required",
  "size",
  "mode",
  "uid",
  "gid",
  "src",
  "dst",
  "destination",
  "ro",
  "rw",
  "readwrite",
  "env",
];

export function parseMount(spec: string, expand?: WordExpander): Mount {
  const m: Mount = {
    type: "bind",
    from: "",
    source: "",
    target: "",
    readOnly: false,
    sizeLimit: 0,
    cacheId: "",
    cacheSharing: "",
    required: false,
  };
  let readOnlyAuto = true;
  const badValue = (key: string, value: string) => instructionError(`invalid value for ${key}: ${value}`);
  const wrongType = (key: string) => instructionError(`unexpected key '${key}' for mount type '${m.type}'`);
  const secretOrSsh = () => m.type === "secret" || m.type === "ssh";

  for (const field of csvFields(spec, "mounts")) {
    const eq = field.indexOf("=");
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    let value = eq === -1 ? "" : field.slice(eq + 1);
    if (eq === -1) {
      if (expand === undefined) continue; // judged once expanded
      if (key === "readonly" || key === "ro") m.readOnly = true;
      else if (key === "readwrite" || key === "rw") m.readOnly = false;
      else if (key === "required" && secretOrSsh()) m.required = true;
      else if (key === "required") throw wrongType(key);
      else throw instructionError(`invalid field '${field}' must be a key=value pair`);
      if (key !== "required") readOnlyAuto = false;
      continue;
    }
    if (expand !== undefined) value = expand(value);
    else if (key === "from") {
      const dollar = value.indexOf("$");
      if (dollar !== -1 && dollar !== value.length - 1)
        throw instructionError(`'${key}' doesn't support variable expansion, define alias stage instead`);
    } else continue;

    switch (key) {
      case "type": {
        const type = value.toLowerCase();
        if (!MOUNT_TYPES.includes(type))
          throw instructionError(
            withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, MOUNT_TYPES, true),
          );
        m.type = type as MountType;
        break;
      }
      case "from":
        m.from = value;
        break;
      case "source":
      case "src":
        m.source = value;
        break;
      case "target":
      case "dst":
      case "destination":
        m.target = value;
        break;
      case "readonly":
      case "ro":
      case "readwrite":
      case "rw": {
        const flag = parseGoBool(value);
        if (flag === undefined) throw badValue(key, value);
        m.readOnly = key === "readonly" || key === "ro" ? flag : !flag;
        readOnlyAuto = false;
        break;
      }
      case "required": {
        if (!secretOrSsh()) throw wrongType(key);
        const flag = parseGoBool(value);
        if (flag === undefined) throw badValue(key, value);
        m.required = flag;
        break;
      }
      case "size": {
        if (m.type !== "tmpfs") throw wrongType(key);
        const size = ramInBytes(value);
        if (size === undefined) throw badValue(key, value);
        m.sizeLimit = size;
        break;
      }
      case "id":
        m.cacheId = value;
        break;
      case "sharing": {
        const sharing = value.toLowerCase();
        if (!SHARING_MODES.includes(sharing))
          throw instructionError(
            withSuggestion(`unsupported sharing value ${JSON.stringify(value)}`, value, SHARING_MODES, true),
          );
        m.cacheSharing = sharing as MountSharing;
        break;
      }
      case "mode":
      case "uid":
      case "gid": {
        const n = parseGoUint(value, key === "mode" ? 8 : 10, 32);
        if (n === undefined) throw instructionError(`invalid value ${value} for ${key}`);
        m[key] = n;
        break;
      }
      case "env":
        m.env = value;
        break;
      default:
        throw instructionError(
          withSuggestion(`unexpected key '${key}' in '${field}'`, key, MOUNT_KEYS, true),
        );
    }
  }

  if (m.type !== "secret" && m.type !== "ssh" && m.type !== "cache") {
    for (const key of ["mode", "uid", "gid"] as const) {
      if (m[key] !== undefined) throw instructionError(`${key} not allowed for "${m.type}" type mounts`);
    }
  }
  if (readOnlyAuto) m.readOnly = !(m.type === "cache" || m.type === "tmpfs");
  if (m.type === "secret") {
    if (m.from !== "") throw instructionError("secret mount should not have a from");
    if (m.cacheSharing !== "") throw instructionError("secret mount should not define sharing");
    if (m.source === "" && m.target === "" && m.cacheId === "")
      throw instructionError("invalid secret mount. one of source, target required");
    if (m.source !== "" && m.cacheId !== "") throw instructionError("both source and id can't be set");
  }
  if (m.cacheSharing !== "" && m.type !== "cache")
    throw instructionError(`invalid cache sharing set for ${m.type} mount`);
  return m;
}

const RAM_SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const RAM_UNITS: Readonly<Record<string, number>> = {
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};

/** docker/go-units RAMInBytes: "64m", "1.5GiB", "1024" in binary units. */
function ramInBytes(text: string): number | undefined {
  const match = RAM_SIZE.exec(text);
  if (match === null) return undefined;
  const size = Number.parseFloat(match[1] ?? "");
  if (Number.isNaN(size)) return undefined;
  const unit = match[2]?.toLowerCase();
  return Math.trunc(size * (unit === undefined ? 1 : (RAM_UNITS[unit] ?? 1)));
}
