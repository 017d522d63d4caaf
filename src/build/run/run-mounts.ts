/**
 * RUN --mount entries as runtime mounts, with BuildKit's options: bind (read-only unless asked),
 * cache (a host directory the caller keeps, read-write), tmpfs, and secret (the caller's file,
 * copied with its own mode and owner to a private directory on a tmpfs, then bound read-only, so the
 * secret never lands on disk and the host file is not chmodded).
 */
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { WharfError } from "../../errors.ts";
import type { SpecMount } from "./runc-spec.ts";

export interface RunMount {
  type: "bind" | "tmpfs" | "cache" | "secret";
  /** Host path: required for bind, cache and secret. */
  source?: string;
  /** Absolute path in the container. */
  target: string;
  /** bind: default true; cache: default false; secret: always read-only. */
  readonly?: boolean;
  /** tmpfs: the mount's mode; secret: the file's (default 0400); cache: a new cache dir's. */
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface PreparedMounts {
  mounts: SpecMount[];
  /** Removes what preparing created (the secrets' copies). */
  cleanup(): Promise<void>;
}

/** Where secrets are copied: a tmpfs when there is one. */
const SECRETS_PARENT = "/dev/shm";

export async function prepareRunMounts(
  mounts: readonly RunMount[],
  scratchDir: string,
  secretsParent?: string,
): Promise<PreparedMounts> {
  const specs: SpecMount[] = [];
  let secretsDir: string | undefined;
  const cleanup = async () => {
    if (secretsDir !== undefined) await rm(secretsDir, { recursive: true, force: true });
  };
  try {
    for (const m of mounts) {
      const target = posix.join("/", m.target);
      switch (m.type) {
        case "bind": {
          const source = await requireSource(m);
          const options = ["rbind"];
          if (m.readonly ?? true) options.push("ro");
          specs.push({ destination: target, type: "bind", source, options });
          break;
        }
        case "cache": {
          const source = resolve(requireSourcePath(m));
          await prepareCacheDir(source, m);
          const options = ["rbind"];
          if (m.readonly) options.push("ro");
          specs.push({ destination: target, type: "bind", source, options });
          break;
        }
        case "tmpfs": {
          const options = ["nosuid", "nodev"];
          if (m.mode !== undefined) options.push(`mode=${m.mode.toString(8)}`);
          if (m.uid !== undefined) options.push(`uid=${m.uid}`);
          if (m.gid !== undefined) options.push(`gid=${m.gid}`);
          specs.push({ destination: target, type: "tmpfs", source: "tmpfs", options });
          break;
        }
        case "secret": {
          const source = await requireSource(m);
          secretsDir ??= await privateDir(scratchDir, secretsParent);
          const copy = join(secretsDir, String(specs.length));
          await copyFile(source, copy);
          await chown(copy, m.uid ?? 0, m.gid ?? 0);
          await chmod(copy, m.mode ?? 0o400);
          specs.push({
            destination: target,
            type: "bind",
            source: copy,
            options: ["ro", "rbind", "nodev", "nosuid", "noexec"],
          });
          break;
        }
        default:
          throw new WharfError("RUN_MOUNT_INVALID", `unknown mount type ${(m as { type: string }).type}`);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { mounts: specs, cleanup };
}

function requireSourcePath(m: RunMount): string {
  if (m.source === undefined || m.source === "") {
    throw new WharfError("RUN_MOUNT_INVALID", `a ${m.type} mount at ${m.target} needs a source`, {
      target: m.target,
    });
  }
  return m.source;
}

/** The absolute source, which must exist (runc would fail later with a less clear message). */
async function requireSource(m: RunMount): Promise<string> {
  const source = resolve(requireSourcePath(m));
  try {
    await stat(source);
  } catch {
    throw new WharfError("RUN_MOUNT_INVALID", `${m.type} mount source ${source} does not exist`, {
      source,
      target: m.target,
    });
  }
  return source;
}

/** Creates a cache dir the caller names but has not made yet, with the mount's mode and owner. */
async function prepareCacheDir(source: string, m: RunMount): Promise<void> {
  if (await stat(source).catch(() => undefined)) return;
  await mkdir(source, { recursive: true, mode: 0o755 });
  if (m.mode !== undefined) await chmod(source, m.mode);
  if (m.uid !== undefined || m.gid !== undefined) await chown(source, m.uid ?? 0, m.gid ?? 0);
}

async function privateDir(scratchDir: string, secretsParent?: string): Promise<string> {
  const parent =
    secretsParent ??
    ((await stat(SECRETS_PARENT).catch(() => undefined))?.isDirectory() ? SECRETS_PARENT : scratchDir);
  // mkdtemp makes it 0700: only root reaches the copies.
  return mkdtemp(join(parent, "wharf-secrets-"));
}
