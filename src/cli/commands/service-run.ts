/**
 * `wharf system service`: the Engine API in the foreground on one store until SIGINT/SIGTERM, then
 * a graceful close (requests in flight finish, for a few seconds) and the socket file removed.
 * As dockerd, a TCP address beyond loopback is served only with TLS and client certificates.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { registerImageRoutes } from "../../engine-api/image-routes.ts";
import {
  defaultSocketPath,
  type EngineAddress,
  isLoopbackHost,
  listenEngine,
  parseEngineHost,
} from "../../engine-api/listen.ts";
import { closeEngineApp, createEngineApp, createEngineContext } from "../../engine-api/server.ts";
import { registerTransferRoutes } from "../../engine-api/transfer-routes.ts";
import { WharfError } from "../../errors.ts";
import { globalOptions, openStore, storeRoot } from "../context.ts";
import { usageError } from "../exit.ts";

export interface ServiceFlags {
  host?: string;
  tls?: boolean;
  tlscert?: string;
  tlskey?: string;
  tlscacert?: string;
  logLevel?: string;
}

const COMMAND = "wharf system service";

/** How long requests in flight may take to finish once a signal came. */
const GRACE_MS = 5000;

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new WharfError("SERVER_CONFIG_INVALID", `cannot read ${flag} ${path}: ${(err as Error).message}`);
  }
}

/** The TLS material --tls needs (all three files), refused where it makes no sense. */
function tlsOf(flags: ServiceFlags, address: EngineAddress) {
  const files = flags.tlscert ?? flags.tlskey ?? flags.tlscacert;
  if (!flags.tls) {
    if (files !== undefined) throw usageError("--tlscert, --tlskey and --tlscacert need --tls", COMMAND);
    if (address.kind === "tcp" && !isLoopbackHost(address.host)) {
      throw usageError(
        `refusing to serve ${flags.host} without --tls: anyone who reaches it controls the store ` +
          "(listen on 127.0.0.1, or give --tls with --tlscert, --tlskey and --tlscacert)",
        COMMAND,
      );
    }
    return undefined;
  }
  if (address.kind === "unix") throw usageError("--tls is for tcp:// addresses", COMMAND);
  if (flags.tlscert === undefined || flags.tlskey === undefined || flags.tlscacert === undefined) {
    throw usageError("--tls needs --tlscert, --tlskey and --tlscacert", COMMAND);
  }
  return {
    cert: readPem(flags.tlscert, "--tlscert"),
    key: readPem(flags.tlskey, "--tlskey"),
    ca: readPem(flags.tlscacert, "--tlscacert"),
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export async function runService(flags: ServiceFlags, cmd: Command): Promise<void> {
  const root = storeRoot(cmd);
  const address: EngineAddress = flags.host
    ? parseEngineHost(flags.host, flags.tls === true)
    : { kind: "unix", path: defaultSocketPath(root) };
  const tls = tlsOf(flags, address);
  const insecureRegistries = globalOptions(cmd).insecureRegistry ?? [];
  const store = await openStore(cmd);
  try {
    const ctx = createEngineContext({ store, root: store.paths.root, insecureRegistries });
    const app = createEngineApp(ctx, {
      routes: [registerImageRoutes, registerTransferRoutes],
      logger: { level: flags.logLevel ?? "info" },
      insecureRegistries,
      ...(tls ? { tls } : {}),
    });
    const stopped = stopSignal();
    let listener: Awaited<ReturnType<typeof listenEngine>>;
    try {
      listener = await listenEngine(app, address);
    } catch (err) {
      await app.close();
      throw err;
    }
    const url = listener.url;
    process.stderr.write(`Listening on ${url}\n`);
    process.stderr.write(
      tls
        ? `export DOCKER_HOST=${url} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=<dir of ca.pem, cert.pem, key.pem>\n`
        : `export DOCKER_HOST=${url}\n`,
    );
    await stopped;
    await closeEngineApp(app, GRACE_MS);
    listener.cleanup();
  } finally {
    store.close();
  }
}
