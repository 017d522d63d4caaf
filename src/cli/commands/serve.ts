import type { Command } from "commander";
import { globalOptions } from "../context.ts";
import type { ServeGcOptions, ServeOptions } from "./serve-run.ts";

/** Every key of the YAML config, as `wharf serve --help` shows them (docs/SERVE.md explains each). */
const CONFIG_KEYS_HELP = `
Configuration keys (--config FILE, YAML; flags and WHARF_SERVE_* variables override them):
  http.addr  http.tls.certificate  http.tls.key  http.requesttimeout  http.headertimeout
  http.idletimeout  http.maxconnections
  storage.filesystem.rootdirectory  storage.delete.enabled
  log.level  log.accesslog.disabled
  auth.htpasswd.path  auth.htpasswd.realm
  auth.token.service  auth.token.issuer  auth.token.realm  auth.token.secret  auth.token.expiration
  auth.token.refreshexpiration  auth.anonymouspull
  access[].account  access[].repository  access[].actions
  metrics.enabled
Environment: WHARF_SERVE_ADDR, WHARF_SERVE_STORAGE, WHARF_SERVE_LOG_LEVEL,
  WHARF_SERVE_ACCESS_LOG_DISABLED, WHARF_SERVE_DELETE_ENABLED, WHARF_SERVE_TLS_CERTIFICATE,
  WHARF_SERVE_TLS_KEY
Subcommand: wharf serve gc [--dry-run] [--delete-untagged] [--grace 1h]`;

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
    .addHelpText("after", CONFIG_KEYS_HELP)
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
