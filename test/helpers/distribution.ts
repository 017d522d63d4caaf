/**
 * A real distribution registry (Debian's docker-registry 2.8) for the tests: one per test file,
 * on a free 127.0.0.1 port, with a config of the test's own (no auth, htpasswd basic auth, or token
 * auth against a token issuer the test runs: a node:http server issuing RS256 JWTs with the x5c
 * chain of a self-signed certificate made by the openssl CLI). Fixtures go in with skopeo.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createPrivateKey, createSign, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { type Server as HttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after } from "node:test";
import { FIXTURES_DIR } from "../corpus.ts";
import { tempDir } from "./tmp.ts";
import { selfSignedCertificate, tool } from "./tools.ts";

export const BUSYBOX_LAYOUT = join(FIXTURES_DIR, "oci", "busybox");
export const BUSYBOX_MULTI_LAYOUT = join(FIXTURES_DIR, "oci", "busybox-multi");

/** A port nobody listens on right now (bound and released; the small race is acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on ADDRESS:0 (default 127.0.0.1) and closes the server (dropping connections) in `after`. */
export async function listen(server: Server | HttpsServer, address = "127.0.0.1"): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `${address}:${(server.address() as AddressInfo).port}`;
}

export type DistributionAuth =
  | { kind: "none" }
  | { kind: "htpasswd"; users: Record<string, string> }
  | { kind: "token"; issuer: TokenIssuer };

export interface Distribution {
  /** 127.0.0.1:PORT */
  readonly host: string;
  readonly root: string;
  stop(): Promise<void>;
}

export async function waitForRegistry(
  host: string,
  child: ChildProcess,
  log: () => string,
  scheme: "http" | "https" = "http",
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the registry exited: ${log()}`);
    if (scheme === "https") {
      if (await tlsAnswers(host)) return;
    } else {
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the registry did not answer on ${host}: ${log()}`);
}

/** An HTTPS GET /v2/ without certificate verification answers (the test's self-signed certificate). */
function tlsAnswers(host: string): Promise<boolean> {
  const [hostname, port] = host.split(":");
  return new Promise((resolve) => {
    const req = httpsRequest(
      { hostname, port: Number(port), path: "/v2/", rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 || res.statusCode === 401);
      },
    );
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * Starts docker-registry; it is stopped in `after` (or by stop()). `schema1` accepts schema 1
 * manifests (distribution's compatibility.schema1), so that refusing them can be tested.
 */
export async function startDistribution(
  auth: DistributionAuth = { kind: "none" },
  options: { schema1?: boolean } = {},
): Promise<Distribution> {
  const dir = tempDir("wharf-distribution-");
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const root = join(dir, "storage");
  let authYaml = "";
  if (auth.kind === "htpasswd") {
    const lines: string[] = [];
    for (const [user, pass] of Object.entries(auth.users)) {
      lines.push((await tool("htpasswd", ["-Bbn", user, pass])).stdout.trim());
    }
    const file = join(dir, "htpasswd");
    writeFileSync(file, `${lines.join("\n")}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: wharf-test\n    path: ${file}\n`;
  } else if (auth.kind === "token") {
    const t = auth.issuer;
    authYaml =
      "auth:\n  token:\n" +
      `    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n` +
      `    rootcertbundle: ${t.certPath}\n`;
  }
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    "version: 0.1\n" +
      "log:\n  level: error\n  accesslog:\n    disabled: true\n" +
      `storage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: ${host}\n` +
      // Manifests may name non-distributable layers with URLs on the test machine (pull.test.ts).
      "validation:\n  manifests:\n    urls:\n      allow:\n        - '^http://127\\.0\\.0\\.1:'\n" +
      (options.schema1 ? "compatibility:\n  schema1:\n    enabled: true\n" : "") +
      authYaml,
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new Error("docker-registry is not installed: run .ci/run or apt-get install docker-registry")
          : err,
      ),
    );
  });
  await spawned;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  };
  after(stop);
  await waitForRegistry(host, child, () => stderr);
  return { host, root, stop };
}

/**
 * Pushes the fixtures: busybox:latest (OCI), busybox:v2s2 (Docker schema 2), busybox:multi (the OCI
 * index of busybox-multi with both platforms) and busybox:list (the same as a Docker manifest list);
 * with `schema1`, busybox:schema1 (signed schema 1; the registry must accept it).
 */
export async function pushFixtures(
  host: string,
  creds?: string,
  options: { schema1?: boolean } = {},
): Promise<void> {
  const auth = creds === undefined ? [] : ["--dest-creds", creds];
  const copy = (args: string[]) =>
    tool("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...auth, ...args]);
  await copy([`oci:${BUSYBOX_LAYOUT}:latest`, `docker://${host}/busybox:latest`]);
  await copy(["--format", "v2s2", `oci:${BUSYBOX_LAYOUT}:latest`, `docker://${host}/busybox:v2s2`]);
  await copy(["--all", `oci:${BUSYBOX_MULTI_LAYOUT}:latest`, `docker://${host}/busybox:multi`]);
  await copy([
    "--all",
    "--format",
    "v2s2",
    `oci:${BUSYBOX_MULTI_LAYOUT}:latest`,
    `docker://${host}/busybox:list`,
  ]);
  if (options.schema1) {
    await copy(["--format", "v2s1", `oci:${BUSYBOX_LAYOUT}:latest`, `docker://${host}/busybox:schema1`]);
  }
}

// ------------------------------------------------------------------------------------------------
// Token issuer

export interface TokenIssuer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The self-signed certificate distribution trusts (rootcertbundle). */
  readonly certPath: string;
  /** Every request the issuer served, in order. */
  readonly requests: { method: string; url: string; authorized: boolean; grant?: string }[];
}

export interface TokenIssuerOptions {
  users: Record<string, string>;
  /**
   * Refresh tokens (identity tokens) accepted by POST grant_type=refresh_token, by user; a GET with
   * Basic credentials and offline_token=true (docker login) returns the user's as `refresh_token`.
   */
  identityTokens?: Record<string, string>;
  /** expires_in of the tokens (default 300). */
  expiresIn?: number;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

/** Runs a token server like Docker Hub's auth: anonymous tokens carry no access, users get what they ask. */
export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const dir = tempDir("wharf-token-");
  const { keyPath, certPath } = await selfSignedCertificate(dir, "/CN=wharf-test-token-issuer");
  const key = createPrivateKey(readFileSync(keyPath));
  const certDer = readFileSync(certPath, "utf8")
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
    .replace(/\s+/g, "");
  const service = "wharf-test-registry";
  const issuerName = "wharf-test-issuer";
  const expiresIn = options.expiresIn ?? 300;
  const requests: TokenIssuer["requests"] = [];

  const sign = (subject: string, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access =
      subject === ""
        ? []
        : scopes.map((s) => {
            const [type = "", name = "", actions = ""] = s.split(":");
            return { type, name, actions: actions.split(",").filter((a) => a !== "") };
          });
    const header = { alg: "RS256", typ: "JWT", x5c: [certDer] };
    const claims = {
      iss: issuerName,
      sub: subject,
      aud: service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(input).sign(key);
    return `${input}.${base64url(signature)}`;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://issuer");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== "/token") return reply(404, { details: "not found" });
    if (req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const grant = form.get("grant_type") ?? "";
      const user = Object.entries(options.identityTokens ?? {}).find(
        ([, t]) => t === form.get("refresh_token"),
      )?.[0];
      requests.push({ method: "POST", url: req.url ?? "", authorized: user !== undefined, grant });
      if (grant !== "refresh_token" || user === undefined) {
        return reply(401, { details: "invalid refresh token" });
      }
      const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
      return reply(200, {
        access_token: sign(user, scopes),
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
        scope: scopes.join(" "),
      });
    }
    const authz = req.headers.authorization;
    let user = "";
    if (authz !== undefined) {
      const decoded = authz.startsWith("Basic ") ? Buffer.from(authz.slice(6), "base64").toString() : "";
      const colon = decoded.indexOf(":");
      const name = decoded.slice(0, colon);
      if (colon <= 0 || options.users[name] !== decoded.slice(colon + 1)) {
        requests.push({ method: "GET", url: req.url ?? "", authorized: false });
        return reply(401, { details: "incorrect username or password" });
      }
      user = name;
    }
    requests.push({ method: "GET", url: req.url ?? "", authorized: user !== "" });
    const token = sign(user, url.searchParams.getAll("scope"));
    const refresh =
      user !== "" && url.searchParams.get("offline_token") === "true"
        ? options.identityTokens?.[user]
        : undefined;
    return reply(200, {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
      ...(refresh === undefined ? {} : { refresh_token: refresh }),
    });
  });
  const host = await listen(server);
  return { realm: `http://${host}/token`, service, issuer: issuerName, certPath, requests };
}
