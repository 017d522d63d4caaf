/**
 * `--secret` values for `RUN --mount=type=secret`: written once, to a tmpfs mounted in a claimed
 * scratch dir (never to the store's disk; a SIGKILLed build's tmpfs is unmounted by the stale-scratch
 * clean-up), for RUN to bind. Ids are file names: letters, digits, ".", "_" and "-".
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { WharfError } from "../../errors.ts";
import { runCommand } from "../run/command.ts";
import type { BuildSecret } from "./request.ts";
import type { Snapshots } from "./snapshots.ts";

export class BuildSecrets {
  /** The tmpfs holding them (RUN's per-mount copies go there too); undefined when there are none. */
  readonly dir: string | undefined;
  readonly #files: ReadonlyMap<string, string>;
  readonly #release: () => Promise<void>;

  private constructor(
    dir: string | undefined,
    files: ReadonlyMap<string, string>,
    release: () => Promise<void>,
  ) {
    this.dir = dir;
    this.#files = files;
    this.#release = release;
  }

  static async open(secrets: readonly BuildSecret[], snapshots: Snapshots): Promise<BuildSecrets> {
    if (secrets.length === 0) return new BuildSecrets(undefined, new Map(), async () => undefined);
    for (const s of secrets) {
      if (!/^[A-Za-z0-9_.-]+$/.test(s.id) || s.id === "." || s.id === "..") {
        throw new WharfError("USAGE", `invalid secret id "${s.id}": letters, digits, ".", "_" and "-" only`);
      }
    }
    const scratch = await snapshots.scratch();
    const dir = join(scratch, "secrets");
    await mkdir(dir, { mode: 0o700 });
    const mounted = await runCommand("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", dir]);
    if (mounted.code !== 0) {
      await rm(scratch, { recursive: true, force: true });
      throw new WharfError(
        "MOUNT_FAILED",
        `cannot mount a tmpfs for the build's secrets: ${mounted.stderr.trim()}`,
      );
    }
    const release = async () => {
      await runCommand("umount", [dir]);
      await rm(scratch, { recursive: true, force: true });
    };
    const files = new Map<string, string>();
    try {
      for (const s of secrets) {
        const file = join(dir, s.id);
        await writeFile(file, s.data, { mode: 0o400 });
        files.set(s.id, file);
      }
    } catch (err) {
      await release();
      throw err;
    }
    return new BuildSecrets(dir, files, release);
  }

  /** The file of secret `id`, if it was given. */
  file(id: string): string | undefined {
    return this.#files.get(id);
  }

  release(): Promise<void> {
    return this.#release();
  }
}
