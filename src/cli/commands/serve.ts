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

export function registerServe(program: Command): void {
  program
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
}
