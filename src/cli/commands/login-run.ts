/**
 * docker login / logout: credentials are checked against the registry (its challenge: Basic, or a
 * Bearer token asked for with them and offline access) before they are stored where docker keeps
 * them (config.json `auths`, or the configured credential helper), so each tool sees the other's
 * logins. When the token server returns a refresh token, it is stored instead of the password, as
 * docker's `identitytoken` (a helper gets it with the username `<token>`).
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { DEFAULT_DOMAIN } from "../../oci/reference.ts";
import { registryClientFor } from "../../registry/client/client.ts";
import { type Credentials, DockerCredentialStore } from "../../registry/client/credentials.ts";
import { loginServer } from "../../registry/client/hosts.ts";
import { globalOptions } from "../context.ts";
import { daemon } from "./image-support.ts";

export interface LoginOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, "");
}

/** A line from the terminal; with `hidden`, typed characters are not echoed (the password). */
async function prompt(question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) {
    // readline echoes through _writeToOutput; printing nothing keeps the password off the screen.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    process.stderr.write(question);
  }
  try {
    return await new Promise<string>((resolve) => rl.question(hidden ? "" : question, resolve));
  } finally {
    if (hidden) process.stderr.write("\n");
    rl.close();
  }
}

async function credentialsFrom(options: LoginOptions): Promise<{ username: string; password: string }> {
  if (options.password !== undefined && options.passwordStdin) {
    throw new WharfError(
      "LOGIN_INPUT",
      "conflicting options: cannot specify both --password and --password-stdin",
    );
  }
  let { username, password } = options;
  if (options.passwordStdin) {
    if (username === undefined) {
      throw new WharfError("LOGIN_INPUT", "the --password-stdin option requires --username to be set");
    }
    password = await readStdin();
  }
  if (options.password !== undefined) {
    process.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  // docker: a missing (or empty) username or password is asked for, which needs a terminal; an
  // empty --password-stdin is no exception.
  if (!username || !password) {
    if (!process.stdin.isTTY) {
      throw new WharfError("LOGIN_INPUT", "Error: Cannot perform an interactive login from a non TTY device");
    }
    if (!username) username = (await prompt("Username: ", false)).trim();
    if (!password) password = await prompt("Password: ", true);
  }
  if (username === "") throw new WharfError("LOGIN_INPUT", "Error: Non-null Username Required");
  if (password === "") throw new WharfError("LOGIN_INPUT", "Error: Non-null Password Required");
  return { username, password };
}

function sameCredentials(a: Credentials | undefined, b: Credentials): boolean {
  return (
    a !== undefined &&
    a.username === b.username &&
    a.password === b.password &&
    (a.identityToken ?? "") === (b.identityToken ?? "")
  );
}

export async function runLogin(
  server: string | undefined,
  options: LoginOptions,
  command: Command,
): Promise<void> {
  const host = loginServer(server);
  const credentials = await credentialsFrom(options);
  const { insecureRegistry } = globalOptions(command);
  const client = await registryClientFor(host, {
    credentials,
    offlineToken: true,
    ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
  });
  let identityToken: string | undefined;
  try {
    // The check is what docker's daemon does for docker login: its errors read as the daemon's.
    ({ identityToken } = await daemon(() => client.checkLogin()));
  } finally {
    await client.close();
  }
  const store = new DockerCredentialStore();
  // docker's login: a refresh token from the token server replaces the password (`identitytoken`).
  const stored: Credentials =
    identityToken === undefined
      ? credentials
      : { username: credentials.username, password: "", identityToken };
  const before = await store.get(host);
  await store.store(host, stored);
  // docker 28's file store warns when it writes a password, not when nothing changed or for a token.
  if (!sameCredentials(before, stored) && stored.password !== "" && !(await store.usesHelper(host))) {
    process.stderr.write(
      `\nWARNING! Your credentials are stored unencrypted in '${store.configPath}'.\n` +
        "Configure a credential helper to remove this warning. See\n" +
        "https://docs.docker.com/go/credential-store/\n\n",
    );
  }
  process.stdout.write("Login Succeeded\n");
}

/** docker logout: says it removes the login whether or not there was one (exit 0 either way). */
export async function runLogout(server: string | undefined): Promise<void> {
  const host = loginServer(server);
  const store = new DockerCredentialStore();
  const shown = host === DEFAULT_DOMAIN ? "https://index.docker.io/v1/" : host;
  process.stdout.write(`Removing login credentials for ${shown}\n`);
  if ((await store.has(host)) || (await store.usesHelper(host))) await store.erase(host);
}
