/**
 * `wharf load`: every image of an archive (file or stdin) into the store, then docker's lines:
 * `Loaded image: NAME:TAG` per name, the notice when a tag is taken from another image, and
 * `Loaded image ID: sha256:…` lines by dockerd 20.10's rule (transport/load-report.ts).
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { isReportedInStream, loadArchive } from "../../transport/load.ts";
import { loadedLines, loadProgress } from "../../transport/load-report.ts";
import { ProgressPrinter } from "../progress.ts";
import { daemonError, withStore } from "./image-support.ts";

export interface LoadFlags {
  input?: string;
  quiet?: boolean;
}

export async function runLoad(flags: LoadFlags, cmd: Command): Promise<void> {
  if (flags.input === undefined && process.stdin.isTTY) {
    throw new WharfError("TERMINAL_REFUSED", "requested load from stdin, but stdin is empty");
  }
  // On a terminal, Docker draws a "Loading layer" bar per layer; otherwise it prints only the result.
  const printer = process.stdout.isTTY && !flags.quiet ? new ProgressPrinter(process.stdout) : undefined;
  const result = await withStore(cmd, async (store) => {
    try {
      return await loadArchive(
        store,
        flags.input ?? process.stdin,
        printer ? { onEvent: loadProgress(printer) } : {},
      );
    } catch (err) {
      throw isReportedInStream(err) ? err : daemonError(err);
    }
  });
  process.stdout.write(
    loadedLines(result)
      .map((line) => `${line}\n`)
      .join(""),
  );
}
