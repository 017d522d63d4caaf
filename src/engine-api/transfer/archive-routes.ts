/**
 * docker save and docker load over the Engine API: GET /images/get?names=A&names=B and
 * GET /images/{name}/get stream one docker-archive (application/x-tar) of the images, as `wharf save`
 * writes it (transport/save-images.ts; save-selection.ts picks them by moby's rules; a name that is
 * not there is a 404 before any byte); POST /images/load takes an archive (any format and compression loadArchive reads) and
 * answers docker's JSON lines (transport/load-report.ts, as `wharf load` prints them): "Loading
 * layer" progress unless quiet, then "Loaded image: NAME".
 */
import { PassThrough, Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { messageOf } from "../../errors.ts";
import { selectImagesToSave } from "../../images/save-selection.ts";
import { DockerArchiveDestination } from "../../transport/docker-archive-destination.ts";
import { isReportedInStream, loadArchive } from "../../transport/load.ts";
import { loadedLines, loadProgress } from "../../transport/load-report.ts";
import { saveImages } from "../../transport/save-images.ts";
import type { EngineContext } from "../context.ts";
import { JsonMessageStream, replyFinished } from "./json-stream.ts";

export async function getImageRoute(
  _request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  names: string[],
): Promise<void> {
  const items = selectImagesToSave(ctx.store, names);
  const body = new PassThrough();
  void reply.type("application/x-tar").send(body);
  try {
    await saveImages(ctx.store, items, new DockerArchiveDestination({ stream: body }));
  } catch (err) {
    // The archive is half sent: cutting the connection is all that can tell the client.
    body.destroy(err as Error);
  }
  await replyFinished(reply);
}

/** `names` once or repeated in the query (fastify gives a string or an array). */
function queryList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** The request body as a stream: the server leaves archives unparsed. */
export function requestStream(request: FastifyRequest): Readable {
  return request.body instanceof Readable ? request.body : request.raw;
}

function isTrue(value: unknown): boolean {
  return value === "1" || value === "true" || value === "True";
}

export async function loadRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<void> {
  const quiet = isTrue((request.query as { quiet?: unknown }).quiet);
  const stream = new JsonMessageStream(reply);
  try {
    const result = await loadArchive(
      ctx.store,
      requestStream(request),
      quiet ? {} : { onEvent: loadProgress(stream) },
    );
    for (const line of loadedLines(result)) stream.stream(`${line}\n`);
  } catch (err) {
    // dockerd answers with an error until it has read the archive; what it finds wrong in it, it streams.
    if (!stream.started && !isReportedInStream(err)) throw err;
    stream.error(messageOf(err));
  }
  await stream.end();
}

export function saveRoute(request: FastifyRequest, reply: FastifyReply, ctx: EngineContext): Promise<void> {
  return getImageRoute(request, reply, ctx, queryList((request.query as { names?: unknown }).names));
}
