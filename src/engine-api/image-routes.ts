/**
 * The Engine API's local image endpoints for `wharf system service`: list, inspect, history, tag,
 * delete and prune, each over the same library functions as the wharf command that prints it
 * (`wharf images`, `inspect`, `history`, `tag`, `rmi`, `image prune`). Push and export on a name
 * (`/images/{name}/push`, `/images/{name}/get`) are dispatched here, since they share the name
 * wildcard, to transfer-routes.ts.
 */
import type { RouteRegistrar } from "./context.ts";
import { listImagesRoute } from "./images/image-list.ts";
import { imageNameRoute } from "./images/image-name-route.ts";
import { pruneImagesRoute } from "./images/image-prune.ts";

export const registerImageRoutes: RouteRegistrar = (app, ctx) => {
  app.get("/images/json", (request, reply) => listImagesRoute(request, reply, ctx));
  app.post("/images/prune", (request, reply) => pruneImagesRoute(request, reply, ctx));
  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/images/*",
    handler: (request, reply) => imageNameRoute(request, reply, ctx),
  });
};
