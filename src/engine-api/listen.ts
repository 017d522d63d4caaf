/**
 * Where the Engine API listens: docker's host addresses (`unix:///path.sock`, `tcp://host:port`),
 * the default socket (podman's places: $XDG_RUNTIME_DIR, /run for root, else the wharf root), and
 * the socket file's care: one that another process serves is left alone, a stale one replaced, a
 * path that is something else refused; the new one is 0660, as docker.sock is.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { WharfError } from "../errors.ts";

export type EngineAddress = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/** dockerd's default TCP ports: 2375 plain, 2376 with TLS. */
const DEFAULT_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

/** `unix:///run/x.sock`, `tcp://127.0.0.1:2375`, `tcp://[::1]:2375`, `tcp://:2376` (every address). */
export function parseEngineHost(text: string, tls = false): EngineAddress {
  const bad = (why: string) => new WharfError("USAGE", `invalid --host ${JSON.stringify(text)}: ${why}`);
  if (text.startsWith("unix://")) {
    const path = text.slice("unix://".length);
    if (path === "") throw bad("want unix:///PATH");
    return { kind: "unix", path: resolve(path) };
  }
  if (!text.startsWith("tcp://")) throw bad("want unix:///PATH or tcp://HOST:PORT");
  const m = /^(?:\[([^\]]+)\]|([^:/[\]]*))(?::(\d{1,5}))?\/?$/.exec(text.slice("tcp://".length));
  const port = m?.[3] === undefined ? (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT) : Number(m[3]);
  if (!m || port > 65535) throw bad("want tcp://HOST:PORT");
  return { kind: "tcp", host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export function formatEngineAddress(address: EngineAddress): string {
  if (address.kind === "unix") return `unix://${address.path}`;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}

/** 127.0.0.0/8, ::1 and localhost: the only TCP addresses served without TLS. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** $XDG_RUNTIME_DIR/wharf/wharf.sock, else /run/wharf/wharf.sock as root, else ROOT/wharf.sock. */
export function defaultSocketPath(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(resolve(env.XDG_RUNTIME_DIR), "wharf", "wharf.sock");
  if (process.getuid?.() === 0) return "/run/wharf/wharf.sock";
  return join(root, "wharf.sock");
}

/** Does a process accept connections on this socket? */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/** Makes `path` free for a new socket: refuses a live one or a file, removes a stale socket. */
export async function prepareSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    return;
  }
  if (!isSocket) {
    throw new WharfError("SERVER_CONFIG_INVALID", `cannot listen on ${path}: it exists and is not a socket`, {
      path,
    });
  }
  if (await socketAnswers(path)) {
    throw new WharfError("SERVER_CONFIG_INVALID", `cannot listen on ${path}: another process is serving it`, {
      path,
    });
  }
  rmSync(path, { force: true });
}

export interface EngineListener {
  /** `unix:///...` or `tcp://host:port` (the port the system chose, when 0 was asked). */
  url: string;
  /** Removes the socket file (after the server has closed). */
  cleanup(): void;
}

export async function listenEngine(app: FastifyInstance, address: EngineAddress): Promise<EngineListener> {
  if (address.kind === "tcp") {
    await app.listen({ host: address.host, port: address.port });
    const bound = app.server.address();
    const port = typeof bound === "object" && bound !== null ? bound.port : address.port;
    return { url: formatEngineAddress({ ...address, port }), cleanup: () => undefined };
  }
  const path = address.path;
  await prepareSocketPath(path);
  await app.listen({ path });
  // The owner and its group (docker's `docker` group, here the user's), no one else.
  chmodSync(path, 0o660);
  return { url: formatEngineAddress(address), cleanup: () => rmSync(path, { force: true }) };
}
