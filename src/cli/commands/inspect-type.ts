/**
 * `wharf inspect --type T`: docker inspect's object types. wharf has images only; for the other types
 * every name is not found, worded as docker's daemon words it (a daemon that is no swarm manager
 * refuses the swarm types).
 */
import { WharfError } from "../../errors.ts";
import { EXIT_FAILURE } from "../exit.ts";
import { DAEMON_PREFIX } from "./image-support.ts";

const TYPES = [
  "config",
  "container",
  "image",
  "network",
  "node",
  "plugin",
  "secret",
  "service",
  "task",
  "volume",
] as const;

type ObjectType = (typeof TYPES)[number];

const NOT_SWARM_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

const NOT_FOUND: Readonly<Record<Exclude<ObjectType, "image">, (ref: string) => string>> = {
  container: (ref) => `No such container: ${ref}`,
  network: (ref) => `network ${ref} not found`,
  volume: (ref) => `get ${ref}: no such volume`,
  plugin: (ref) => `plugin ${JSON.stringify(ref)} not found`,
  config: () => NOT_SWARM_MANAGER,
  node: () => NOT_SWARM_MANAGER,
  secret: () => NOT_SWARM_MANAGER,
  service: () => NOT_SWARM_MANAGER,
  task: () => NOT_SWARM_MANAGER,
};

const MUST_BE = `must be one of "${TYPES.join('", "')}"`;

/** docker's checks of --type (exit 1, no usage block): an empty or unknown type. */
export function checkedType(type: string | undefined): ObjectType | undefined {
  if (type === undefined) return undefined;
  if (type === "") throw new WharfError("USAGE", `type is empty: ${MUST_BE}`, { exitCode: EXIT_FAILURE });
  if (!(TYPES as readonly string[]).includes(type))
    throw new WharfError("USAGE", `unknown type: ${JSON.stringify(type)}: ${MUST_BE}`, {
      exitCode: EXIT_FAILURE,
    });
  return type as ObjectType;
}

/** `inspect --type T` of a type wharf has none of: nothing found, each name's daemon error. */
export function inspectAbsentType(
  refs: readonly string[],
  type: Exclude<ObjectType, "image">,
  format: string,
): void {
  const template = format !== "" && format !== "json";
  process.stdout.write(template ? "\n" : "[]\n");
  process.stderr.write(`${refs.map((ref) => `${DAEMON_PREFIX}${NOT_FOUND[type](ref)}`).join("\n")}\n`);
  process.exitCode = EXIT_FAILURE;
}
