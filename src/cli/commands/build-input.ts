/**
 * docker build's inputs: the context (a directory, or a tar archive on stdin for `-`) and the
 * Dockerfile (PATH/Dockerfile, -f FILE relative to the working directory, -f - from stdin, or stdin
 * itself when `-` is not a tar). A tar context is unpacked, safely, into a temporary directory that
 * goes when the build ends.
 */
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readStreamedContext, type StreamedContext } from "../../build/context/tar-context.ts";
import { WharfError } from "../../errors.ts";

/** The context directory and the Dockerfile; its path is "-" when it came from stdin. */
export type BuildInput = StreamedContext;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readBuildInput(path: string, file: string | undefined): Promise<BuildInput> {
  if (path === "-") {
    if (file === "-")
      throw new WharfError(
        "USAGE",
        "invalid argument: can't use stdin for both build context and dockerfile",
      );
    return readStreamedContext(process.stdin, {
      dockerfile: file ?? "Dockerfile",
      aloneName: "-",
      missingDockerfile: (name) =>
        new WharfError(
          "BUILD_CONTEXT_INVALID",
          `failed to read dockerfile: open ${name}: no such file or directory`,
        ),
    });
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
