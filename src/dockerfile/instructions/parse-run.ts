/**
 * RUN, ported from BuildKit's parse.go parseRun and its flag hooks (commands_rundevice.go,
 * _runmount.go, _runnetwork.go, _runsecurity.go): the flags are declared and their values checked
 * in upstream's hook order, which decides the error a line with several bad flags reports.
 */
import type { NetworkMode, RunCommand, SecurityMode } from "./commands.ts";
import { instructionError } from "./instruction-error.ts";
import { commandBase, type ParseRequest } from "./parse-request.ts";
import { shellDependentCmdLine } from "./parse-simple.ts";
import { parseDevice } from "./run-device.ts";
import { parseMount } from "./run-mount.ts";

const NETWORK_MODES = new Set<string>(["default", "none", "host"]);
const SECURITY_MODES = new Set<string>(["sandbox", "insecure"]);

export function parseRun(req: ParseRequest): RunCommand {
  const device = req.flags.addStrings("device");
  const mount = req.flags.addStrings("mount");
  const network = req.flags.addString("network", "default");
  const security = req.flags.addString("security", "sandbox");
  req.flags.parse();
  const flagsUsed = req.flags.used();
  const cmdLine = shellDependentCmdLine(req);
  const devices = device.values.map((spec) => parseDevice(spec));
  const mounts = mount.values.map((spec) => parseMount(spec));
  if (!NETWORK_MODES.has(network.value))
    throw instructionError(`invalid network mode ${JSON.stringify(network.value)}`);
  if (!SECURITY_MODES.has(security.value))
    throw instructionError(`security ${JSON.stringify(security.value)} is not valid`);
  return {
    type: "RUN",
    ...commandBase(req),
    ...cmdLine,
    flagsUsed,
    mountSpecs: mount.values,
    mounts,
    network: network.value as NetworkMode,
    security: security.value as SecurityMode,
    devices,
  };
}
