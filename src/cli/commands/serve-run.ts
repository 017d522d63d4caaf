/** `wharf serve`: the registry in the foreground until SIGINT/SIGTERM, then a graceful close. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WharfError } from "../../errors.ts";
import { createRegistryApp } from "../../registry/server/app.ts";
import { createAuthorizer } from "../../registry/server/auth.ts";
import { loadServeConfig } from "../../registry/server/config.ts";
import { collectRegistryGarbage } from "../../registry/server/gc.ts";
import { FilesystemDriver } from "../../registry/server/storage/filesystem.ts";
import { defaultStoreRoot } from "../../store/paths.ts";
import type { GlobalOptions } from "../context.ts";

export interface ServeGcOptions {
  config?: string;
  storage?: string;
  dryRun?: boolean;
  deleteUntagged?: boolean;
  grace?: string;
}

export interface ServeOptions {
  config?: string;
  addr?: string;
  storage?: string;
  logLevel?: string;
  accessLog?: boolean;
  delete?: boolean;
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new WharfError("SERVER_CONFIG_INVALID", `invalid address ${JSON.stringify(addr)}: want HOST:PORT`);
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new WharfError(
      "SERVER_CONFIG_INVALID",
      `cannot read TLS ${what} ${path}: ${(err as Error).message}`,
    );
  }
}

export async function runServe(options: ServeOptions, global: GlobalOptions): Promise<void> {
  const config = loadServeConfig(options.config, [
    [["http", "addr"], options.addr],
    [["storage", "filesystem", "rootdirectory"], options.storage],
    [["log", "level"], options.logLevel],
    [["log", "accesslog", "disabled"], options.accessLog === false ? true : undefined],
    [["storage", "delete", "enabled"], options.delete === false ? false : undefined],
  ]);
  const { host, port } = parseAddr(config.http.addr);
  const storage =
    config.storage.filesystem.rootdirectory ?? join(global.root ?? defaultStoreRoot(), "registry");
  const tls = config.http.tls;
  const app = await createRegistryApp({
    driver: new FilesystemDriver(storage),
    deleteEnabled: config.storage.delete.enabled,
    logger: { level: config.log.level },
    accessLog: !config.log.accesslog.disabled,
    authorizer: createAuthorizer(config),
    metrics: config.metrics.enabled,
    ...(tls ? { tls: { cert: readPem(tls.certificate, "certificate"), key: readPem(tls.key, "key") } } : {}),
    limits: {
      requestTimeoutMs: config.http.requesttimeout * 1000,
      headersTimeoutMs: config.http.headertimeout * 1000,
      keepAliveTimeoutMs: config.http.idletimeout * 1000,
      maxConnections: config.http.maxconnections,
    },
  });
  await app.listen({ host, port });
  app.log.info(
    { storage, addr: `${host}:${port}`, auth: config.auth ? Object.keys(config.auth) : [] },
    "wharf registry listening",
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      // In-flight requests (uploads) finish; new connections are refused; idle ones are closed.
      app.close().then(resolve, resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** "90s", "30m", "1h", "2d" -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new WharfError("USAGE", `invalid duration ${JSON.stringify(text)}: want e.g. 90s, 30m, 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
  return Number(m[1]) * unit;
}

export async function runServeGc(options: ServeGcOptions, global: GlobalOptions): Promise<void> {
  const config = loadServeConfig(options.config, [
    [["storage", "filesystem", "rootdirectory"], options.storage],
  ]);
  const storage =
    config.storage.filesystem.rootdirectory ?? join(global.root ?? defaultStoreRoot(), "registry");
  const report = await collectRegistryGarbage(new FilesystemDriver(storage), {
    dryRun: options.dryRun === true,
    deleteUntagged: options.deleteUntagged === true,
    graceMs: parseDuration(options.grace ?? "1h"),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const verb = options.dryRun ? "would delete" : "deleted";
  process.stdout.write(
    `${report.repositories} repositories, ${report.manifestsKept} manifests kept, ${report.blobsMarked} blobs marked; ` +
      `${verb} ${report.manifestsDeleted} manifests, ${report.blobsDeleted} blobs (${report.bytesDeleted} bytes), ` +
      `${report.uploadsDeleted} abandoned uploads; ${report.blobsTooYoung} unreferenced blobs kept for the grace period\n`,
  );
}
