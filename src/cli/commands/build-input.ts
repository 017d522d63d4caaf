/**
 * docker build's inputs: the context (a directory, or a tar archive on stdin for `-`) and the
 * Dockerfile (PATH/Dockerfile, -f FILE relative to the working directory, -f - from stdin, or stdin
 * itself when `-` is not a tar). A tar context is unpacked, safely, into a temporary directory that
 * goes when the build ends.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { WharfError } from "../../errors.ts";

export interface BuildInput {
  contextDir: string;
  dockerfile: string;
  /** For errors and NAME.dockerignore: the Dockerfile's path, or "-" for stdin. */
  dockerfilePath: string;
  cleanup(): Promise<void>;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isTar(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(257, 262).toString("latin1") === "ustar";
}

export async function readBuildInput(path: string, file: string | undefined): Promise<BuildInput> {
  if (path === "-") {
    if (file === "-")
      throw new WharfError(
        "USAGE",
        "invalid argument: can't use stdin for both build context and dockerfile",
      );
    let bytes = await readStdin();
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
    if (!isTar(bytes)) {
      // docker build - < Dockerfile: the Dockerfile alone, no context.
      return {
        contextDir: "",
        dockerfile: bytes.toString("utf8"),
        dockerfilePath: "-",
        cleanup: async () => undefined,
      };
    }
    const dir = await mkdtemp(join(tmpdir(), "wharf-context-"));
    try {
      // The layer unpacker is the safe way to unpack a tar; loaded only for a tar context.
      const { unpackLayer } = await import("../../layer/unpack.ts");
      await unpackLayer(Readable.from([bytes]), dir, { lowerDirs: [] });
      const name = file ?? "Dockerfile";
      const dockerfile = await readFile(join(dir, name), "utf8").catch(() => {
        throw new WharfError(
          "BUILD_CONTEXT_INVALID",
          `failed to read dockerfile: open ${name}: no such file or directory`,
        );
      });
      return {
        contextDir: dir,
        dockerfile,
        dockerfilePath: name,
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const contextDir = resolve(path);
  const info = await stat(contextDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new WharfError("BUILD_CONTEXT_INVALID", `unable to prepare context: path "${path}" not found`, {
      path,
    });
  }
  if (file === "-") {
    return {
      contextDir,
      dockerfile: (await readStdin()).toString("utf8"),
      dockerfilePath: "-",
      cleanup: async () => undefined,
    };
  }
  const dockerfilePath = file === undefined ? join(contextDir, "Dockerfile") : resolve(file);
  const dockerfile = await readFile(dockerfilePath, "utf8").catch(() => {
    throw new WharfError(
      "BUILD_CONTEXT_INVALID",
      `failed to read dockerfile: open ${file ?? "Dockerfile"}: no such file or directory`,
      { path: dockerfilePath },
    );
  });
  return { contextDir, dockerfile, dockerfilePath, cleanup: async () => undefined };
}

function gunzip(bytes: Buffer): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    const z = createGunzip();
    z.on("data", (c: Buffer) => chunks.push(c));
    z.on("end", () => done(Buffer.concat(chunks)));
    z.on("error", fail);
    z.end(bytes);
  });
}
