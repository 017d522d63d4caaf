/** What every command shares: the global options and the store they name. */
import type { Command } from "commander";
import { defaultStoreRoot } from "../store/paths.ts";
import { Store } from "../store/store.ts";

export interface GlobalOptions {
  root?: string;
  /** Registries reachable over plain HTTP or with unverified TLS (beyond localhost, always allowed). */
  insecureRegistry?: string[];
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function openStore(command: Command): Promise<Store> {
  const { root } = globalOptions(command);
  return Store.open(root ? { root } : {});
}

/** The wharf root directory (--root, else the store's default), for files kept beside the store. */
export function storeRoot(command: Command): string {
  return globalOptions(command).root ?? defaultStoreRoot();
}
