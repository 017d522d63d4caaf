/**
 * POST /build, the classic builder API (DOCKER_BUILDKIT=0 docker build, dockerode's buildImage):
 * the tar context of the body built by wharf's builder (src/build/engine), the image committed to
 * the store under each `t`. The stream has the legacy builder's shape with wharf's own steps:
 * "Step N/M : INSTRUCTION" for each step of the stage (as the builder names it), RUN's output as it
 * comes, " ---> Using cache" for a cached step, then {"aux":{"ID"}}, "Successfully built SHORTID"
 * and "Successfully tagged NAME". A failed build ends the stream with errorDetail code 1.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { type BuildResult, build } from "../../build/engine/builder.ts";
import type { BuildEvent, NetworkChoice } from "../../build/engine/request.ts";
import { commitBuiltImage } from "../../build/engine/store-output.ts";
import { messageOf, WharfError } from "../../errors.ts";
import { type Digest, shortDigest } from "../../oci/digest.ts";
import { defaultPlatform, parsePlatform } from "../../oci/platform.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  tagNameOnly,
} from "../../oci/reference.ts";
import type { EngineContext } from "../context.ts";
import { requestStream } from "./archive-routes.ts";
import { baseResolver } from "./build-base.ts";
import { type BuildContext, readBuildContext } from "./build-context.ts";
import { type BuildQuery, boolParam, definedValues, jsonRecord, listParam } from "./build-query.ts";
import { JsonMessageStream } from "./json-stream.ts";
import { registryConfigHeader } from "./registry-auth.ts";

/** A step as the builder names it: "[2/3] RUN ...", "[stage-1 1/2] FROM ...". */
const STEP_NAME = /^\[(?:\S+ )?(\d+)\/(\d+)\] (.*)$/s;

/** dockerd's network modes: bridge is the default network. */
const NETWORKS: Record<string, NetworkChoice> = {
  "": "default",
  default: "default",
  bridge: "default",
  none: "none",
  host: "host",
};

export async function buildRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<void> {
  const query = request.query as BuildQuery;
  const tags = listParam(query.t).map(parseTag);
  const network = NETWORKS[query.networkmode ?? ""];
  if (network === undefined) {
    throw new WharfError(
      "BUILD_UNSUPPORTED",
      `network mode "${query.networkmode}" not supported: default, none or host`,
    );
  }
  const buildArgs = definedValues(jsonRecord(query.buildargs, "buildargs"));
  const labels = definedValues(jsonRecord(query.labels, "labels"));
  const platform = query.platform ? parsePlatform(query.platform) : defaultPlatform();
  const quiet = boolParam(query.q);
  const context = await readBuildContext(requestStream(request), query.dockerfile);
  const stream = new JsonMessageStream(reply);
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.once("close", onClose);
  let result: BuildResult | undefined;
  try {
    const epoch = buildArgs.SOURCE_DATE_EPOCH;
    result = await build({
      store: ctx.store,
      contextDir: context.contextDir,
      dockerfile: context.dockerfile,
      dockerfilePath: context.dockerfilePath,
      buildArgs,
      ...(query.target ? { target: query.target } : {}),
      platform,
      noCache: boolParam(query.nocache),
      labels,
      network,
      secrets: [],
      addHosts: [],
      ...(epoch !== undefined && /^\d+$/.test(epoch) ? { sourceDateEpoch: Number(epoch) } : {}),
      compression: "gzip",
      resolveBase: baseResolver(ctx, registryConfigHeader(request), boolParam(query.pull)),
      ...(quiet ? {} : { onEvent: legacySteps(stream) }),
      signal: abort.signal,
    });
    if (!quiet && result.unusedArgs.length > 0) {
      stream.stream(`[Warning] One or more build-args [${result.unusedArgs.join(" ")}] were not consumed\n`);
    }
    const id = result.documents.config.digest as Digest;
    await commitBuiltImage(
      ctx.store,
      result.documents,
      result.layers,
      result.platform,
      result.created,
      tags.map(referenceString),
    );
    stream.aux({ ID: id });
    if (!quiet) {
      stream.stream(`Successfully built ${shortDigest(id)}\n`);
      for (const tag of tags) stream.stream(`Successfully tagged ${familiarString(tag)}\n`);
    }
  } catch (err) {
    // As dockerd: the error is the answer until the build has said something (a quiet build never
    // does), then the stream's last message, with code 1 (the CLI's exit status).
    if (!stream.started) throw err;
    stream.error(messageOf(err), 1);
  } finally {
    reply.raw.off("close", onClose);
    await result?.release().catch(() => undefined);
    await cleanup(context);
  }
  await stream.end();
}

async function cleanup(context: BuildContext): Promise<void> {
  await context.cleanup().catch(() => undefined);
}

function parseTag(value: string): Reference {
  try {
    return tagNameOnly(parseNormalizedNamed(value));
  } catch (err) {
    throw new WharfError(
      "REFERENCE_INVALID_FORMAT",
      `invalid reference format: ${value}`,
      {},
      { cause: err },
    );
  }
}

/** The builder's events as the legacy builder's stream lines. */
function legacySteps(stream: JsonMessageStream): (event: BuildEvent) => void {
  const steps = new Set<number>();
  return (event) => {
    switch (event.type) {
      case "vertex": {
        const step = STEP_NAME.exec(event.name);
        if (!step) return; // "[internal] ..." work: the legacy builder shows none
        steps.add(event.id);
        stream.stream(`Step ${step[1]}/${step[2]} : ${step[3]}\n`);
        return;
      }
      case "log":
        if (steps.has(event.id)) stream.stream(Buffer.from(event.data).toString("utf8"));
        return;
      case "cached":
        if (steps.has(event.id)) stream.stream(" ---> Using cache\n");
        return;
      case "warning":
        stream.stream(`[Warning] ${event.message}\n`);
        return;
      default:
        return;
    }
  };
}
