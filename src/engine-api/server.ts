/**
 * The Docker Engine API server (`wharf system service`): fastify with dockerd's version handling
 * (`/vX.Y/...` stripped and recorded, too old refused, too new served as API_VERSION), dockerd's
 * headers on every answer, request bodies left as streams for the routes that take archives, and
 * errors as docker's JSON. The routes are RouteRegistrars: the system ones, the 404s for what wharf
 * does not manage, and whatever the caller passes (the image and transfer routes).
 */
import type { IncomingMessage } from "node:http";
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import type { Store } from "../store/store.ts";
import { WHARF_VERSION } from "../version.ts";
import { API_VERSION, type EngineContext, MIN_API_VERSION, type RouteRegistrar } from "./context.ts";
import { EngineApiError, engineErrorAnswer, sendEngineError } from "./errors.ts";
import { registerNotImages } from "./not-images.ts";
import { systemRoutes } from "./system-routes.ts";

export interface EngineAppOptions {
  /** Routes beyond the system ones (the CLI passes the image and transfer routes). */
  routes?: readonly RouteRegistrar[];
  /** pino logger options, or false for none (default). Requests are logged at debug level. */
  logger?: false | { level: string };
  /** HTTPS; with `ca`, a client certificate signed by it is required (dockerd's --tlsverify). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
  /** The service's --insecure-registry values, as /info reports them. */
  insecureRegistries?: readonly string[];
}

/** JSON bodies (options of image operations) are small; archives are streamed, never parsed. */
const JSON_BODY_LIMIT = 4 * 1024 * 1024;

/** dockerd's `Server` header names the daemon and its OS; wharf names itself. */
export const SERVER_HEADER = `wharf/${WHARF_VERSION} (linux)`;

type VersionedRequest = IncomingMessage & { wharfApiVersion?: string; wharfApiVersionError?: string };

/** moby's versions.compare: dot-separated numbers, a missing part counting as 0. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * `/v1.43/images/json` -> `/images/json`, the version kept on the raw request. Below the minimum it
 * is refused (by the onRequest hook: rewriteUrl cannot answer); above the maximum it is served as
 * the maximum, which is what a client negotiating with /_ping would settle on anyway.
 */
function stripVersion(raw: IncomingMessage): string {
  const url = raw.url ?? "/";
  const m = /^\/v(\d+(?:\.\d+)*)(?=[/?]|$)/.exec(url);
  if (!m) return url;
  const asked = m[1]!;
  const req = raw as VersionedRequest;
  if (compareApiVersions(asked, MIN_API_VERSION) < 0) {
    req.wharfApiVersionError =
      `client version ${asked} is too old. Minimum supported API version is ${MIN_API_VERSION}, ` +
      "please upgrade your client to a newer version";
  }
  req.wharfApiVersion = compareApiVersions(asked, API_VERSION) > 0 ? API_VERSION : asked;
  const rest = url.slice(m[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

export function createEngineApp(ctx: EngineContext, options: EngineAppOptions = {}): FastifyInstance {
  const logger = options.logger ?? false;
  const debug = logger !== false && (logger.level === "debug" || logger.level === "trace");
  const tls = options.tls;
  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: !debug }),
    bodyLimit: JSON_BODY_LIMIT,
    rewriteUrl: stripVersion,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Image loads and builds send bodies for minutes: no request timeout.
    requestTimeout: 0,
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : {}),
  });

  app.addHook("onRequest", async (request: FastifyRequest, reply) => {
    const raw = request.raw as VersionedRequest;
    (request as FastifyRequest & { wharfApiVersion?: string }).wharfApiVersion = raw.wharfApiVersion;
    // dockerd's version middleware: these go with every answer, errors included.
    reply
      .header("Api-Version", API_VERSION)
      .header("Docker-Experimental", "false")
      .header("Ostype", "linux")
      .header("Server", SERVER_HEADER);
    if (raw.wharfApiVersionError !== undefined) throw new EngineApiError(400, raw.wharfApiVersionError);
  });

  // dockerd's JSON is `application/json` exactly: the docker CLI reads an error's message only then
  // (otherwise it prints the whole body), so fastify's "; charset=utf-8" goes.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (reply.getHeader("content-type") === "application/json; charset=utf-8") {
      reply.header("content-type", "application/json");
    }
    return payload;
  });

  app.removeAllContentTypeParsers();
  // docker sends `{}`-ish JSON, and POSTs without a body as empty text/plain: an empty body is none.
  app.addContentTypeParser(["application/json"], { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new EngineApiError(400, `invalid JSON body: ${(err as Error).message}`), undefined);
    }
  });
  // Archives (image loads, build contexts) and anything else: the stream, unread, for the route.
  app.addContentTypeParser(["application/x-tar", "application/octet-stream"], (_request, payload, done) =>
    done(null, payload),
  );
  app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

  app.setErrorHandler((err, request, reply) => {
    const answer = engineErrorAnswer(err);
    if (answer.status >= 500) request.log.error({ err }, "request failed");
    return sendEngineError(reply, answer);
  });
  // moby's router: an unknown route is a 404 "page not found".
  app.setNotFoundHandler((_request, reply) =>
    sendEngineError(reply, { status: 404, message: "page not found" }),
  );

  const registrars: RouteRegistrar[] = [
    systemRoutes({ insecureRegistries: options.insecureRegistries ?? [] }),
    registerNotImages,
    ...(options.routes ?? []),
  ];
  for (const register of registrars) register(app, ctx);
  return app;
}

/**
 * Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts what is left
 * (a load still uploading, a client that keeps its connection).
 */
export async function closeEngineApp(app: FastifyInstance, graceMs = 5000): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** The context the CLI gives the routes: one store, registry clients made as the CLI makes them. */
export function createEngineContext(options: {
  store: Store;
  root: string;
  insecureRegistries?: readonly string[];
}): EngineContext {
  const insecureRegistries = [...(options.insecureRegistries ?? [])];
  return {
    store: options.store,
    root: options.root,
    registryClient: async (domain, auth) => {
      const { registryClientFor } = await import("../registry/client/client.ts");
      // An X-Registry-Auth of `{}` (docker sends one when it has no login) names no credentials.
      const credentials =
        auth === undefined || (!auth.username && !auth.password && !auth.identitytoken)
          ? undefined
          : {
              username: auth.username ?? "",
              password: auth.password ?? "",
              ...(auth.identitytoken ? { identityToken: auth.identitytoken } : {}),
            };
      return registryClientFor(domain, {
        ...(insecureRegistries.length > 0 ? { insecureRegistries } : {}),
        ...(credentials ? { credentials } : {}),
      });
    },
  };
}
