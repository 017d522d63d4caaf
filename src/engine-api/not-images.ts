/**
 * The Engine API's routes for what wharf does not manage (containers, networks, volumes, plugins,
 * swarm objects): a 404 saying so, which the docker CLI prints as one line and exits 1 on
 * (`docker ps`). `GET /containers/NAME/json` answers as dockerd does for an unknown container, so
 * that `docker inspect NAME` goes on to try NAME as an image.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RouteRegistrar } from "./context.ts";
import { sendEngineError } from "./errors.ts";

/** Each first path segment wharf has nothing for, and what the message says it lacks. */
const UNMANAGED: Readonly<Record<string, string>> = {
  containers: "containers",
  exec: "containers",
  commit: "containers",
  networks: "networks",
  volumes: "volumes",
  plugins: "plugins",
  swarm: "swarm services",
  services: "swarm services",
  nodes: "swarm services",
  secrets: "swarm services",
  configs: "swarm services",
  tasks: "swarm services",
};

/** `wharf manages images only: no containers (GET /containers/json)`. */
export function unmanagedMessage(what: string, request: FastifyRequest): string {
  const path = request.url.split("?", 1)[0];
  return `wharf manages images only: no ${what} (${request.method} ${path})`;
}

export const registerNotImages: RouteRegistrar = (app) => {
  app.get<{ Params: { name: string } }>("/containers/:name/json", (request, reply) =>
    sendEngineError(reply, { status: 404, message: `No such container: ${request.params.name}` }),
  );
  for (const [segment, what] of Object.entries(UNMANAGED)) {
    const handler = (request: FastifyRequest, reply: FastifyReply) =>
      sendEngineError(reply, { status: 404, message: unmanagedMessage(what, request) });
    app.all(`/${segment}`, handler);
    app.all(`/${segment}/*`, handler);
  }
};
