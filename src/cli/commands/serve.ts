import type { Command } from "commander";
import { globalOptions } from "../context.ts";

export interface ServeOptions {
  config?: string;
  addr?: string;
  storage?: string;
  logLevel?: string;
  accessLog?: boolean;
  delete?: boolean;
}

export interface ServeGcOptions {
  config?: string;
  storage?: string;
  dryRun?: boolean;
  deleteUntagged?: boolean;
  grace?: string;
}

export function registerServe(program: Command): void {
  const serve = program
    .command("serve")
    .description(
      "Run an OCI distribution registry (default 127.0.0.1:5000, storage under the wharf data directory)",
    )
    .option("--config <file>", "YAML configuration (docs/SERVE.md lists every key); flags override it")
    .option("--addr <host:port>", "Address to listen on (default 127.0.0.1:5000)")
    .option("--storage <dir>", "Filesystem storage root (default: <wharf root>/registry)")
    .option("--log-level <level>", "Log level: fatal, error, warn, info, debug, trace (default info)")
    .option("--no-access-log", "Do not log one line per request")
    .option("--no-delete", "Refuse DELETE of manifests and blobs (405 UNSUPPORTED)")
    .action(async (options: ServeOptions, command: Command) => {
      const { runServe } = await import("./serve-run.ts");
      await runServe(options, globalOptions(command));
    });
  serve
    .command("gc")
    .description("Delete blobs no manifest needs (safe while the server runs: see --grace)")
    .option("--config <file>", "The server's YAML configuration (for its storage)")
    .option("--storage <dir>", "Filesystem storage root (default: <wharf root>/registry)")
    .option("--dry-run", "Only print what would be deleted")
    .option("--delete-untagged", "Also delete manifests that no tag reaches")
    .option(
      "--grace <duration>",
      "Keep unreferenced blobs younger than this (default 1h): pushes in progress",
      "1h",
    )
    .action(async (_options: ServeGcOptions, command: Command) => {
      const { runServeGc } = await import("./serve-run.ts");
      // With the parent's: `serve`'s own --config/--storage may be parsed on either side of "gc".
      await runServeGc(command.optsWithGlobals<ServeGcOptions>(), globalOptions(command));
    });
}
