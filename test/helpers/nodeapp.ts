/**
 * The nodeapp image (../shared/fixtures/make-nodeapp.sh: Debian bookworm minbase, node + npm, an app
 * with ~11k files of node_modules) as an OCI layout under a cache directory kept outside the
 * repository (default ~/.cache/wharf-bench, shared with the benchmarks), built once: about two
 * minutes, with Debian's mirror and the npm registry.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";

export const NODEAPP_CACHE = join(homedir(), ".cache", "wharf-bench");
const SCRIPT = resolve(import.meta.dirname, "../../../shared/fixtures/make-nodeapp.sh");

/** PATH without node_modules/.bin: the fixture copies the machine's node + npm, as PEERS.md measured. */
export function systemPath(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes(`node_modules${"/"}.bin`))
    .join(delimiter);
}

/** The layout's path and the bytes of its blobs; builds it first when the cache has none. */
export function ensureNodeapp(cache = NODEAPP_CACHE): { layout: string; imageBytes: number; built: boolean } {
  mkdirSync(cache, { recursive: true });
  const layout = join(cache, "nodeapp");
  const built = !existsSync(join(layout, "index.json"));
  if (built) {
    const r = spawnSync("bash", [SCRIPT, cache], {
      stdio: "inherit",
      env: { ...process.env, PATH: systemPath() },
    });
    if (r.status !== 0) throw new Error(`make-nodeapp.sh failed (exit ${r.status ?? r.signal})`);
  }
  const blobsDir = join(layout, "blobs", "sha256");
  let imageBytes = 0;
  for (const b of readdirSync(blobsDir)) imageBytes += statSync(join(blobsDir, b)).size;
  return { layout, imageBytes, built };
}
