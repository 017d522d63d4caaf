/** `wharf login [SERVER]` and `wharf logout [SERVER]` (the work, loaded when they run, in login-run.ts). */
import type { Command } from "commander";
import type { LoginOptions } from "./login-run.ts";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("Authenticate to a registry (Docker Hub when no server is given)")
    .argument("[server]", "Registry host, e.g. localhost:5000")
    .option("-u, --username <username>", "Username")
    .option("-p, --password <password>", "Password or Personal Access Token (PAT)")
    .option("--password-stdin", "Take the Password or Personal Access Token (PAT) from stdin")
    .action(async (server: string | undefined, options: LoginOptions, command: Command) =>
      (await import("./login-run.ts")).runLogin(server, options, command),
    );
  program
    .command("logout")
    .description("Log out from a registry (Docker Hub when no server is given)")
    .argument("[server]", "Registry host")
    .action(async (server: string | undefined) => (await import("./login-run.ts")).runLogout(server));
}
