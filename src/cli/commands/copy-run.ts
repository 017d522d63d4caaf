/** `wharf copy`: opens both ends, runs the copy engine, prints skopeo's lines. */
import type { Command } from "commander";
import { isIndexMediaType } from "../../oci/mediatype.ts";
import { parsePlatform } from "../../oci/platform.ts";
import { copyAndCommit } from "../../transport/copy.ts";
import { openDestination, openSource } from "../../transport/endpoints.ts";
import { parseTransportReference } from "../../transport/transport-reference.ts";
import type { CopyEvent } from "../../transport/types.ts";
import { cliEndpoints } from "../endpoint-context.ts";
import { usageError } from "../exit.ts";

export interface CopyFlags {
  all?: boolean;
  platform?: string;
  quiet?: boolean;
  srcCreds?: string;
  destCreds?: string;
}

export async function runCopy(src: string, dst: string, flags: CopyFlags, command: Command): Promise<void> {
  const from = parseTransportReference(src);
  const to = parseTransportReference(dst);
  if (flags.all && flags.platform)
    throw usageError("--all and --platform cannot be used together", "wharf copy");
  const endpoints = cliEndpoints(command, {
    commandName: "wharf copy",
    ...(flags.all ? { all: true } : {}),
    ...(flags.srcCreds === undefined ? {} : { srcCreds: flags.srcCreds }),
    ...(flags.destCreds === undefined ? {} : { destCreds: flags.destCreds }),
  });
  const { ctx } = endpoints;
  try {
    const source = await openSource(from, ctx);
    try {
      const { destination, names } = await openDestination(to, ctx, from);
      await copyAndCommit(source, destination, {
        names,
        ...(flags.all ? { all: true } : {}),
        ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
        ...(flags.quiet ? {} : { onEvent: printEvent }),
      });
    } finally {
      await source.close();
    }
  } finally {
    await endpoints.close();
  }
}

/** skopeo's lines, less its signature steps (wharf copies no signatures). */
function printEvent(event: CopyEvent): void {
  let line: string | undefined;
  if (event.type === "blob") {
    const what = event.role === "config" ? "config" : "blob";
    if (event.status === "exists" || event.status === "mounted")
      line = `Copying ${what} ${event.digest} skipped: already exists`;
    else if (event.status === "transferring" && event.current === 0) line = `Copying ${what} ${event.digest}`;
  } else if (event.type === "manifest" && event.top) {
    line = isIndexMediaType(event.mediaType)
      ? "Writing manifest list to image destination"
      : "Writing manifest to image destination";
  }
  if (line) process.stdout.write(`${line}\n`);
}
