/** `wharf system service`: the Docker Engine API on a socket (flags here; the work in service-run.ts). */
import type { Command } from "commander";
import type { ServiceFlags } from "./service-run.ts";

export function defineService(command: Command): Command {
  return command
    .description("Serve the Docker Engine API (images only) for docker and other clients")
    .option(
      "-H, --host <address>",
      "unix:///PATH.sock or tcp://127.0.0.1:PORT (default: $XDG_RUNTIME_DIR/wharf/wharf.sock)",
    )
    .option("--tls", "Serve HTTPS and require a client certificate signed by --tlscacert")
    .option("--tlscert <file>", "The server's certificate (PEM)")
    .option("--tlskey <file>", "The server's private key (PEM)")
    .option("--tlscacert <file>", "The CA that client certificates must be signed by (PEM)")
    .option("--log-level <level>", "Log level: fatal, error, warn, info, debug (requests), trace", "info")
    .action(async (flags: ServiceFlags, cmd: Command) =>
      (await import("./service-run.ts")).runService(flags, cmd),
    );
}
