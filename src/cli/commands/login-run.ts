/**
 * docker login / logout: credentials are checked against the registry (its challenge: Basic, or a
 * Bearer token asked for with them and offline access) before they are stored where docker keeps
 * them (config.json `auths`, or the configured credential helper), so each tool sees the other's
 * logins. When the token server returns a refresh token, it is stored instead of the password, as
 * docker's `identitytoken` (a helper gets it with the username `<token>`).
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { registryClientFor } from "../../registry/client/client.ts";
import { DockerCredentialStore } from "../../registry/client/credentials.ts";
import { globalOptions } from "../context.ts";
import type { LoginOptions } from "./login.ts";

const DOCKER_HUB = "docker.io";

/** "https://host:5000/v2/" or "host:5000" -> "host:5000"; Docker Hub's names -> docker.io. */
export function loginServer(server: string | undefined): string {
  if (server === undefined || server === "") return DOCKER_HUB;
  const host = server.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  if (host === "" || /\s/.test(host))
    throw new WharfError("LOGIN_INPUT", `invalid registry address: ${server}`);
  if (host === "index.docker.io" || host === "registry-1.docker.io") return DOCKER_HUB;
  return host;
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
  if (options.passwordStdin) {
    if (options.username === undefined) {
      throw new WharfError("LOGIN_INPUT", "the --password-stdin option requires --username to be set");
    }
    return { username: options.username, password: await readStdin() };
  }
  if (options.password !== undefined) {
    process.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  let { username, password } = options;
  if (username === undefined || password === undefined) {
    if (!process.stdin.isTTY) {
      throw new WharfError("LOGIN_INPUT", "Error: Cannot perform an interactive login from a non TTY device");
    }
    username ??= (await prompt("Username: ", false)).trim();
    password ??= await prompt("Password: ", true);
  }
  if (username === "") throw new WharfError("LOGIN_INPUT", "Error: Non-null Username Required");
  if (password === "") throw new WharfError("LOGIN_INPUT", "Error: Non-null Password Required");
  return { username, password };
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
    ({ identityToken } = await client.checkLogin());
  } finally {
    await client.close();
  }
  const store = new DockerCredentialStore();
  // docker's login: a refresh token from the token server replaces the password (`identitytoken`).
  await store.store(
    host,
    identityToken === undefined
      ? credentials
      : { username: credentials.username, password: "", identityToken },
  );
  if (!(await store.usesHelper(host))) {
    process.stderr.write(
      `WARNING! Your credentials are stored unencrypted in '${store.configPath}'.\n` +
        "Configure a credential helper to remove this warning. See\n" +
        "https://docs.docker.com/go/credential-store/\n\n",
    );
  }
  process.stdout.write("Login Succeeded\n");
}

export async function runLogout(server: string | undefined): Promise<void> {
  const host = loginServer(server);
  const store = new DockerCredentialStore();
  const shown = host === DOCKER_HUB ? "https://index.docker.io/v1/" : host;
  if (!(await store.has(host)) && !(await store.usesHelper(host))) {
    process.stdout.write(`Not logged in to ${shown}\n`);
    return;
  }
  process.stdout.write(`Removing login credentials for ${shown}\n`);
  await store.erase(host);
}
