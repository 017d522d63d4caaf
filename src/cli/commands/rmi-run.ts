/**
 * `wharf rmi` / `wharf image rm`: moby's ImageDelete for each image in turn, docker's output
 * (`Untagged: ...`, `Deleted: ...`). Failures are printed after the rest and exit 1; with --force,
 * images that do not exist are reported but do not fail the command, as with docker.
 */
import type { Command } from "commander";
import { isWharfError } from "../../errors.ts";
import { hasFatalError, removeImages } from "../../images/index.ts";
import { DAEMON_PREFIX, messageOf, withStore } from "./image-support.ts";

export interface RmiFlags {
  force?: boolean;
  prune?: boolean;
}

export async function runRmi(inputs: string[], flags: RmiFlags, cmd: Command): Promise<void> {
  await withStore(cmd, async (store) => {
    const force = flags.force === true;
    const { outcomes } = await removeImages(store, inputs, { force });
    let out = "";
    const errors: string[] = [];
    for (const o of outcomes) {
      for (const r of o.records ?? [])
        out += r.Deleted !== undefined ? `Deleted: ${r.Deleted}\n` : `Untagged: ${r.Untagged}\n`;
      if (o.error !== undefined) {
        errors.push(isWharfError(o.error) ? `${DAEMON_PREFIX}${o.error.message}` : messageOf(o.error));
      }
    }
    process.stdout.write(out);
    if (errors.length > 0) {
      process.stderr.write(`${errors.join("\n")}\n`);
      if (!force || hasFatalError(outcomes)) process.exitCode = 1;
    }
  });
}
