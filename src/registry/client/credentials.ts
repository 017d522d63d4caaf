/**
 * Docker's registry credentials: `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`) with
 * `auths`, `credsStore` and `credHelpers`, and the `docker-credential-NAME` helper protocol
 * (github.com/docker/docker-credential-helpers): the action is the helper's argument, the input is on
 * stdin (the server URL for get/erase, JSON {ServerURL, Username, Secret} for store), get answers
 * JSON on stdout, and a failure is a non-zero exit with the message on stdout.
 *
 * Keys follow docker/cli: Docker Hub is `https://index.docker.io/v1/`, every other registry its
 * `host[:port]`; `auths` entries written with a scheme or a path (`https://host/v1/`) are found by
 * their host, as docker's legacy lookup does. The legacy `~/.dockercfg` is not read.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { WharfError } from "../../errors.ts";

export interface Credentials {
  /** Empty when only an identity token is known. */
  readonly username: string;
  readonly password: string;
  /**
   * An OAuth2 refresh token from `docker login` (config.json `identitytoken`, or a helper's
   * `<token>` username). When present, token auth uses it instead of the password.
   */
  readonly identityToken?: string;
}

/** Where credentials for a registry come from. `registryHost` is a reference domain ("docker.io", "host:5000"). */
export interface CredentialStore {
  /** The credentials for the registry, or undefined when there are none (never an error for that). */
  get(registryHost: string): Promise<Credentials | undefined>;
  store?(registryHost: string, credentials: Credentials): Promise<void>;
  erase?(registryHost: string): Promise<void>;
}

/** Docker Hub's key in config.json and for credential helpers (docker/cli's registry.IndexServer). */
export const DOCKER_HUB_CREDENTIAL_KEY = "https://index.docker.io/v1/";
const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
/** The helper protocol's username meaning "the secret is an identity token". */
const TOKEN_USERNAME = "<token>";
/** ErrCredentialsNotFound's message: not an error for `get`. */
const NOT_FOUND_MESSAGE = "credentials not found in native keychain";

/** The config.json key for a registry: Docker Hub's URL, or host[:port]. */
export function credentialKey(registryHost: string): string {
  const host = hostOfKey(registryHost);
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_CREDENTIAL_KEY : host;
}

/** docker/cli's ConvertToHostname: drop an http(s) scheme and any path. */
export function hostOfKey(key: string): string {
  let stripped = key;
  if (stripped.startsWith("http://")) stripped = stripped.slice("http://".length);
  else if (stripped.startsWith("https://")) stripped = stripped.slice("https://".length);
  const slash = stripped.indexOf("/");
  return slash === -1 ? stripped : stripped.slice(0, slash);
}

/** The directory holding config.json: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || homedir(), ".docker");
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DockerCredentialStoreOptions {
  /** Directory of config.json; default from `env` as docker does ($DOCKER_CONFIG, ~/.docker). */
  configDir?: string;
  /** Environment for locating the config and running helpers (PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Credentials as the docker CLI finds them. A helper configured for the registry (`credHelpers`, else
 * `credsStore`) is the only source for it; otherwise `auths`. The file is read on every call.
 */
export class DockerCredentialStore implements CredentialStore {
  readonly configPath: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: DockerCredentialStoreOptions = {}) {
    this.#env = options.env ?? process.env;
    this.configPath = join(options.configDir ?? dockerConfigDir(this.#env), "config.json");
  }

  async get(registryHost: string): Promise<Credentials | undefined> {
    const key = credentialKey(registryHost);
    const config = await this.#load();
    const helper = helperFor(config, key);
    if (helper !== undefined) {
      const out = await runCredentialHelper(helper, "get", key, this.#env);
      if (out === undefined) return undefined;
      return fromHelperOutput(helper, out);
    }
    const entry = lookupAuth(config.auths ?? {}, key);
    return entry === undefined ? undefined : decodeEntry(entry, key, this.configPath);
  }

  /** Whether credentials for the registry go to a helper (else base64 into config.json). */
  async usesHelper(registryHost: string): Promise<boolean> {
    return helperFor(await this.#load(), credentialKey(registryHost)) !== undefined;
  }

  /** Whether config.json holds anything for the registry (an `auths` entry, even an empty one). */
  async has(registryHost: string): Promise<boolean> {
    const auths = (await this.#load()).auths ?? {};
    return lookupAuth(auths, credentialKey(registryHost)) !== undefined;
  }

  /** docker login's effect: into the helper (leaving an empty `auths` entry, as docker does) or the file. */
  async store(registryHost: string, credentials: Credentials): Promise<void> {
    const key = credentialKey(registryHost);
    const raw = await this.#loadRaw();
    const config = raw ?? {};
    const helper = helperFor(config, key);
    const auths = isObject(config.auths) ? (config.auths as Record<string, AuthEntry>) : {};
    if (helper !== undefined) {
      const token = credentials.identityToken;
      const input = JSON.stringify({
        ServerURL: key,
        Username: token ? TOKEN_USERNAME : credentials.username,
        Secret: token ?? credentials.password,
      });
      await runCredentialHelper(helper, "store", input, this.#env);
      auths[key] = {};
    } else {
      const entry: Record<string, string> = {
        auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64"),
      };
      if (credentials.identityToken) entry.identitytoken = credentials.identityToken;
      auths[key] = entry;
    }
    config.auths = auths;
    await this.#save(config);
  }

  /** docker logout's effect: erase from the helper (if any) and drop the `auths` entry. */
  async erase(registryHost: string): Promise<void> {
    const key = credentialKey(registryHost);
    const config = (await this.#loadRaw()) ?? {};
    const helper = helperFor(config, key);
    if (helper !== undefined) await runCredentialHelper(helper, "erase", key, this.#env);
    if (isObject(config.auths) && Object.hasOwn(config.auths, key)) {
      delete (config.auths as Record<string, AuthEntry>)[key];
      await this.#save(config);
    }
  }

  async #load(): Promise<ConfigFile> {
    return (await this.#loadRaw()) ?? {};
  }

  /** The parsed file, or undefined when it does not exist. */
  async #loadRaw(): Promise<ConfigFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.configPath, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw configError(this.configPath, (err as Error).message, err);
    }
    if (text.trim() === "") return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw configError(this.configPath, (err as Error).message, err);
    }
    if (!isObject(parsed)) throw configError(this.configPath, "not a JSON object");
    const config = parsed as ConfigFile;
    if (config.auths !== undefined && config.auths !== null && !isObject(config.auths)) {
      throw configError(this.configPath, "auths: not an object");
    }
    if (config.credHelpers !== undefined && config.credHelpers !== null && !isObject(config.credHelpers)) {
      throw configError(this.configPath, "credHelpers: not an object");
    }
    return config;
  }

  /** Replaces config.json atomically with mode 0600 (it holds secrets). */
  async #save(config: ConfigFile): Promise<void> {
    const dir = dirname(this.configPath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.config.json.${process.pid}.${Date.now()}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(config, null, "\t")}\n`, { mode: 0o600, flag: "wx" });
      await rename(temp, this.configPath);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** Fixed credentials (e.g. from `--creds user:pass`), whatever the registry. */
export function staticCredentials(credentials: Credentials | undefined): CredentialStore {
  return { get: async () => credentials };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function configError(path: string, why: string, cause?: unknown): WharfError {
  return new WharfError(
    "CREDENTIALS_CONFIG_INVALID",
    `error loading config file: ${path}: ${why}`,
    { path },
    cause === undefined ? undefined : { cause },
  );
}

/** credHelpers for the key (exactly, else by host), else credsStore; undefined for the file. */
function helperFor(config: ConfigFile, key: string): string | undefined {
  const helpers = isObject(config.credHelpers) ? config.credHelpers : {};
  const match = lookupKey(helpers, key);
  if (match !== undefined) {
    const name = helpers[match];
    if (typeof name === "string" && name !== "") return name;
  }
  return typeof config.credsStore === "string" && config.credsStore !== "" ? config.credsStore : undefined;
}

function lookupAuth(auths: Record<string, AuthEntry>, key: string): AuthEntry | undefined {
  const match = lookupKey(auths, key);
  return match === undefined ? undefined : auths[match];
}

/** The exact key, else the first key whose host is the registry's (Docker Hub: any of its names). */
function lookupKey(map: Record<string, unknown>, key: string): string | undefined {
  if (Object.hasOwn(map, key)) return key;
  const hub = key === DOCKER_HUB_CREDENTIAL_KEY;
  for (const candidate of Object.keys(map)) {
    const host = hostOfKey(candidate);
    if (hub ? DOCKER_HUB_HOSTS.has(host) : host === key) return candidate;
  }
  return undefined;
}

function decodeEntry(entry: AuthEntry, key: string, path: string): Credentials | undefined {
  if (!isObject(entry)) throw configError(path, `auths[${JSON.stringify(key)}]: not an object`);
  let username = typeof entry.username === "string" ? entry.username : "";
  let password = typeof entry.password === "string" ? entry.password : "";
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = decodeAuth(entry.auth);
    if (decoded === undefined) {
      throw configError(path, `auths[${JSON.stringify(key)}].auth: invalid base64 "user:password"`);
    }
    [username, password] = decoded;
  }
  const identityToken =
    typeof entry.identitytoken === "string" && entry.identitytoken !== "" ? entry.identitytoken : undefined;
  if (username === "" && password === "" && identityToken === undefined) return undefined;
  return identityToken === undefined ? { username, password } : { username, password, identityToken };
}

/** docker/cli's decodeAuth: standard base64 of "user:password", user non-empty. */
function decodeAuth(auth: string): [string, string] | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function fromHelperOutput(helper: string, out: string): Credentials | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch (err) {
    throw new WharfError(
      "CREDENTIALS_HELPER",
      `error getting credentials - docker-credential-${helper} printed invalid JSON: ${(err as Error).message}`,
      { helper },
      { cause: err },
    );
  }
  const creds = isObject(parsed) ? parsed : {};
  const username = typeof creds.Username === "string" ? creds.Username : "";
  const secret = typeof creds.Secret === "string" ? creds.Secret : "";
  if (username === TOKEN_USERNAME) return { username: "", password: "", identityToken: secret };
  if (username === "" && secret === "") return undefined;
  return { username, password: secret };
}

/**
 * Runs `docker-credential-NAME ACTION` with `input` on stdin. Resolves with stdout; for `get`,
 * resolves undefined when the helper reports that it has no credentials. Other failures throw
 * CREDENTIALS_HELPER with docker's wording ("error getting credentials - err: ..., out: `...`").
 */
export function runCredentialHelper(
  name: string,
  action: "get" | "store" | "erase" | "list",
  input: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const program = `docker-credential-${name}`;
  const verb = { get: "getting", store: "storing", erase: "erasing", list: "listing" }[action];
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.resume();
    child.stdin.on("error", () => {}); // a helper that exits without reading its input
    child.once("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "ENOENT" ? `exec: "${program}": executable file not found in $PATH` : err.message;
      reject(
        new WharfError(
          "CREDENTIALS_HELPER",
          `error ${verb} credentials - err: ${why}, out: \`\``,
          { helper: name, action },
          { cause: err },
        ),
      );
    });
    child.once("close", (code, signal) => {
      const text = Buffer.concat(out).toString("utf8");
      if (code === 0) {
        resolve(text);
        return;
      }
      const trimmed = text.trim();
      if (action === "get" && trimmed === NOT_FOUND_MESSAGE) {
        resolve(undefined);
        return;
      }
      const status = signal ? `signal: ${signal}` : `exit status ${code}`;
      reject(
        new WharfError(
          "CREDENTIALS_HELPER",
          `error ${verb} credentials - err: ${status}, out: \`${trimmed}\``,
          { helper: name, action, exitCode: code },
        ),
      );
    });
    child.stdin.end(input);
  });
}
