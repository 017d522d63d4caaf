/** `wharf copy SRC DST`: skopeo's copy between any two transports (the work is in copy-run.ts). */
import type { Command } from "commander";
import type { CopyFlags } from "./copy-run.ts";

export function registerCopy(program: Command): void {
  program
    .command("copy")
    .alias("cp")
    .description(
      "Copy an image between registries, OCI layouts, archives and the local store (docker://, oci:, oci-archive:, docker-archive:, wharf:)",
    )
    .argument("<source>", "TRANSPORT:REFERENCE (a plain name is a local image)")
    .argument("<destination>", "TRANSPORT:REFERENCE (a plain name is a local image)")
    .option("-a, --all", "Copy every platform of a multi-platform image, keeping its index digest")
    .option(
      "--platform <platform>",
      "The platform to copy from a multi-platform image (default: this host's)",
    )
    .option(
      "--src-creds <username[:password]>",
      "Credentials for the source registry (else docker's config.json)",
    )
    .option(
      "--dest-creds <username[:password]>",
      "Credentials for the destination registry (else docker's config.json)",
    )
    .option("-q, --quiet", "Suppress output")
    .action(async (source: string, destination: string, flags: CopyFlags, command: Command) =>
      (await import("./copy-run.ts")).runCopy(source, destination, flags, command),
    );
}
