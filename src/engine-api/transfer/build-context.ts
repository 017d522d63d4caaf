/**
 * POST /build's body: the build context as a tar (plain or gzip-compressed) or, as dockerd accepts
 * it, a Dockerfile alone, read as `wharf build -` reads stdin (build/context/tar-context.ts). The
 * Dockerfile is the `dockerfile` query parameter, relative to the context.
 */
import { normalize } from "node:path";
import type { Readable } from "node:stream";
import { readStreamedContext, type StreamedContext } from "../../build/context/tar-context.ts";
import { WharfError } from "../../errors.ts";

export type BuildContext = StreamedContext;

/** A Dockerfile name that stays inside the context (dockerd refuses one that leaves it). */
function dockerfileName(name: string | undefined): string {
  const clean = normalize(name === undefined || name === "" ? "Dockerfile" : name).replace(/^\/+/, "");
  if (clean === ".." || clean.startsWith("../")) {
    throw new WharfError(
      "BUILD_CONTEXT_INVALID",
      `the Dockerfile (${name}) must be within the build context`,
    );
  }
  return clean;
}

export async function readBuildContext(
  body: Readable,
  dockerfile: string | undefined,
): Promise<BuildContext> {
  return readStreamedContext(body, {
    dockerfile: dockerfileName(dockerfile),
    aloneName: "Dockerfile",
    // The legacy builder's words for a Dockerfile the context does not have.
    missingDockerfile: (name) =>
      new WharfError("BUILD_CONTEXT_INVALID", `Cannot locate specified Dockerfile: ${name}`),
  });
}
