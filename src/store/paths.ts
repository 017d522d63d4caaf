/** Where the store lives and how it is laid out on disk (an OCI image layout plus wharf's own files). */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type Digest, digestAlgorithm, digestEncoded } from "../oci/digest.ts";

/** --root, else WHARF_ROOT, else $XDG_DATA_HOME/wharf, else ~/.local/share/wharf. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHARF_ROOT) return resolve(env.WHARF_ROOT);
  const dataHome = env.XDG_DATA_HOME ? resolve(env.XDG_DATA_HOME) : join(homedir(), ".local", "share");
  return join(dataHome, "wharf");
}

export class StorePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  get ociLayout(): string {
    return join(this.root, "oci-layout");
  }
  get indexJson(): string {
    return join(this.root, "index.json");
  }
  get blobsDir(): string {
    return join(this.root, "blobs");
  }
  get ingestDir(): string {
    return join(this.root, "ingest");
  }
  /** wharf build's working area: unpacked layer snapshots by ChainID and steps' scratch dirs. */
  get buildDir(): string {
    return join(this.root, "build");
  }
  get database(): string {
    return join(this.root, "wharf.db");
  }
  blob(digest: Digest): string {
    return join(this.root, "blobs", digestAlgorithm(digest), digestEncoded(digest));
  }
}
