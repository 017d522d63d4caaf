/** `wharf serve`: the registry in the foreground until SIGINT/SIGTERM, then a graceful close. */
import { join } from "node:path";
import { WharfError } from "../../errors.ts";
import { createRegistryApp } from "../../registry/server/app.ts";
import { FilesystemDriver } from "../../registry/server/storage/filesystem.ts";
import { defaultStoreRoot } from "../../store/paths.ts";
import type { GlobalOptions } from "../context.ts";
import type { ServeOptions } from "./serve.ts";

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new WharfError("SERVER_CONFIG_INVALID", `invalid address ${JSON.stringify(addr)}: want HOST:PORT`);
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export async function runServe(options: ServeOptions, global: GlobalOptions): Promise<void> {
  const { host, port } = parseAddr(options.addr ?? "127.0.0.1:5000");
  const level = options.logLevel ?? "info";
  if (!LOG_LEVELS.has(level)) throw new WharfError("SERVER_CONFIG_INVALID", `invalid log level: ${level}`);
  const storage = options.storage ?? join(global.root ?? defaultStoreRoot(), "registry");
  const app = await createRegistryApp({
    driver: new FilesystemDriver(storage),
    deleteEnabled: options.delete !== false,
    logger: { level },
    accessLog: options.accessLog !== false,
  });
  await app.listen({ host, port });
  app.log.info({ storage, addr: `${host}:${port}` }, "wharf registry listening");
  await new Promise<void>((resolve) => {
    const stop = () => {
      // In-flight requests (uploads) finish; new connections are refused; idle ones are closed.
      app.close().then(resolve, resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
