/**
 * The dispatcher behind `/images/*`: image names in the path may hold slashes and colons
 * (`localhost:5000/a/b:tag`, `sha256:…`), which no path parameter can stand for, so the route is
 * a wildcard and the endpoint is read off the end of the path (moby's router does the same with
 * `{name:.*}`). Only the last suffix counts: `/images/a/json/json` inspects the image `a/json`.
 * Static routes (`/images/json`, `/images/create`, `/images/load`, `/images/get`,
 * `/images/prune`) win over the wildcard in fastify's router and never reach it.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { EngineContext } from "../context.ts";
import { getImageRoute, pushImageRoute } from "../transfer-routes.ts";
import { deleteImageRoute, historyRoute, inspectImageRoute, tagRoute } from "./image-by-name.ts";

type NameHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
) => Promise<unknown>;

/** For each method, the endpoints on a name: path suffix -> handler. */
const BY_SUFFIX: Record<string, Record<string, NameHandler>> = {
  GET: {
    "/json": inspectImageRoute,
    "/history": historyRoute,
    "/get": (request, reply, ctx, name) => getImageRoute(request, reply, ctx, [name]),
  },
  POST: {
    "/tag": tagRoute,
    "/push": pushImageRoute,
  },
};

export async function imageNameRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<unknown> {
  const rest = (request.params as { "*"?: string })["*"] ?? "";
  // `DELETE /images/{name}`: the whole rest is the name.
  if (request.method === "DELETE") return deleteImageRoute(request, reply, ctx, rest);
  const method = request.method === "HEAD" ? "GET" : request.method;
  for (const [suffix, handler] of Object.entries(BY_SUFFIX[method] ?? {})) {
    if (rest.endsWith(suffix) && rest.length > suffix.length) {
      return handler(request, reply, ctx, rest.slice(0, -suffix.length));
    }
  }
  // No such endpoint: the server's own 404 (dockerd's "page not found").
  return reply.callNotFound();
}
