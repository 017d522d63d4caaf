/**
 * HEALTHCHECK, ported from BuildKit's parse.go parseHealthcheck and parseOptInterval: `NONE`
 * (no arguments), or `CMD` in either form with --interval, --timeout, --start-period,
 * --start-interval (Go durations, 0 or at least 1ms) and --retries (a non-negative int32).
 */
import type { BuildFlag } from "./build-flags.ts";
import type { HealthCheckCommand, HealthConfig } from "./commands.ts";
import { parseGoDuration } from "./go-duration.ts";
import { parseGoInt } from "./go-values.ts";
import { errAtLeastOneArgument, instructionError } from "./instruction-error.ts";
import { commandBase, handleJsonArgs, type ParseRequest } from "./parse-request.ts";

const MINIMUM_NANOS = 1_000_000;

/** A duration flag's value in nanoseconds: empty and zero mean "not set" (0). */
export function parseOptInterval(flag: Pick<BuildFlag, "name" | "value">): number {
  if (flag.value === "") return 0;
  const nanos = parseGoDuration(flag.value);
  if (nanos === 0) return 0;
  if (nanos < MINIMUM_NANOS)
    throw instructionError(`Interval ${JSON.stringify(flag.name)} cannot be less than 1ms`);
  return nanos;
}

export function parseHealthcheck(req: ParseRequest): HealthCheckCommand {
  const [first, ...args] = req.args;
  if (first === undefined) throw errAtLeastOneArgument("HEALTHCHECK");
  const base = commandBase(req);
  const type = first.toUpperCase();
  const none: HealthConfig = {
    test: [type],
    interval: 0,
    timeout: 0,
    startPeriod: 0,
    startInterval: 0,
    retries: 0,
  };
  if (type === "NONE") {
    // Upstream checks no flags for NONE.
    if (args.length !== 0) throw instructionError("HEALTHCHECK NONE takes no arguments");
    return { type: "HEALTHCHECK", ...base, health: none };
  }
  const interval = req.flags.addString("interval", "");
  const timeout = req.flags.addString("timeout", "");
  const startPeriod = req.flags.addString("start-period", "");
  const startInterval = req.flags.addString("start-interval", "");
  const retries = req.flags.addString("retries", "");
  req.flags.parse();
  if (type !== "CMD") throw instructionError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const cmd = handleJsonArgs(args, req.json);
  if (cmd.length === 0) throw instructionError("Missing command after HEALTHCHECK CMD");
  const health: HealthConfig = {
    test: [req.json ? type : "CMD-SHELL", ...cmd],
    interval: parseOptInterval(interval),
    timeout: parseOptInterval(timeout),
    startPeriod: parseOptInterval(startPeriod),
    startInterval: parseOptInterval(startInterval),
    retries: 0,
  };
  if (retries.value !== "") {
    health.retries = parseGoInt(retries.value, 32);
    if (health.retries < 0) throw instructionError(`--retries cannot be negative (${health.retries})`);
  }
  return { type: "HEALTHCHECK", ...base, health };
}
