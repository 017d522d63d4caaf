/**
 * Device nodes, fifos and overlay whiteouts (character devices 0,0) of a layer. Node has no mknod, so
 * they are collected and made by one `sh` reading a script of `mknod`/`mkfifo` lines on its stdin
 * (no argument-length limit, one spawn per batch instead of one per node).
 */
import { spawn } from "node:child_process";
import { lchown, lutimes } from "node:fs/promises";
import { WharfError } from "../errors.ts";
import type { EntryMetadata } from "./unpack-header.ts";

export interface DeviceNode {
  kind: "char" | "block" | "fifo";
  major: number;
  minor: number;
  /** Owner and times to apply after creation; none for whiteouts (mode 0, root, as the kernel makes them). */
  metadata?: EntryMetadata;
  mode: number;
}

export const WHITEOUT: DeviceNode = { kind: "char", major: 0, minor: 0, mode: 0 };

/** A path for a POSIX shell: single-quoted, quotes inside closed and escaped. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function scriptLine(path: string, node: DeviceNode): string {
  const mode = node.mode.toString(8).padStart(4, "0");
  if (node.kind === "fifo") return `mkfifo -m ${mode} ${shellQuote(path)}`;
  const type = node.kind === "char" ? "c" : "b";
  return `mknod -m ${mode} ${shellQuote(path)} ${type} ${node.major} ${node.minor}`;
}

/** Pending nodes by absolute path; `flush` creates them all. Parents must exist and stay put until then. */
export class DeviceBatch {
  readonly #pending = new Map<string, DeviceNode>();

  get size(): number {
    return this.#pending.size;
  }

  has(path: string): boolean {
    return this.#pending.has(path);
  }

  /** Forgets the node queued at `path` and those below it (the path is being replaced). */
  dropAt(path: string): void {
    if (this.#pending.size === 0) return;
    const below = `${path}/`;
    for (const p of this.#pending.keys()) if (p === path || p.startsWith(below)) this.#pending.delete(p);
  }

  /** Queues a node; a later one for the same path replaces the earlier. */
  add(path: string, node: DeviceNode): void {
    this.#pending.set(path, node);
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const nodes = [...this.#pending];
    this.#pending.clear();
    const script = `set -e\n${nodes.map(([path, node]) => scriptLine(path, node)).join("\n")}\n`;
    await runScript(script, nodes.length);
    for (const [path, node] of nodes) {
      if (node.metadata === undefined) continue;
      await lchown(path, node.metadata.uid, node.metadata.gid);
      await lutimes(path, node.metadata.atime, node.metadata.mtime);
    }
  }
}

function runScript(script: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-s"], { stdio: ["pipe", "ignore", "pipe"], env: { PATH: process.env.PATH } });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      stderr += s;
    });
    child.on("error", (err) => reject(err));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const why = stderr.trim() || `sh exited with ${signal ?? code}`;
      reject(
        new WharfError("LAYER_INVALID", `cannot create the layer's device nodes (${count}): ${why}`, {
          stderr,
        }),
      );
    });
    // A shell that died early closes its stdin: the close event reports why.
    child.stdin.on("error", () => undefined);
    child.stdin.end(script);
  });
}
