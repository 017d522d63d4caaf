/**
 * The Engine API's transfer endpoints for `wharf system service`: images in and out of the store
 * through registries (pull, push, distribution inspect; POST /auth is a system route), archives (save, load) and builds,
 * each over the same library functions as the wharf command that does it. The handlers are in
 * transfer/; `/images/{name}/push` and `/images/{name}/get` share the name wildcard of the local
 * image routes (image-routes.ts), which dispatch them here.
 */
import type { RouteRegistrar } from "./context.ts";
import { getImageRoute, loadRoute, saveRoute } from "./transfer/archive-routes.ts";
import { buildRoute } from "./transfer/build-route.ts";
import { distributionRoute } from "./transfer/distribution-route.ts";
import { pullRoute } from "./transfer/pull-route.ts";
import { pushImageRoute } from "./transfer/push-route.ts";

export { getImageRoute, pushImageRoute };

export const registerTransferRoutes: RouteRegistrar = (app, ctx) => {
  app.post("/images/create", (request, reply) => pullRoute(request, reply, ctx));
  app.post("/images/load", (request, reply) => loadRoute(request, reply, ctx));
  app.get("/images/get", (request, reply) => saveRoute(request, reply, ctx));
  app.post("/build", (request, reply) => buildRoute(request, reply, ctx));
  app.get("/distribution/*", (request, reply) => distributionRoute(request, reply, ctx));
};
