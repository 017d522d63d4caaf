/**
 * The distribution API over HTTP (fastify): routing of /v2/ paths whose repository names contain
 * slashes, the spec's headers and status codes, Range on blobs, and errors as the spec's JSON.
 * The work is done by BlobStore and ManifestStore over a StorageDriver; paths are parsed in
 * routes.ts, headers and bodies in request-parts.ts.
 */
import { Readable } from "node:stream";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { noSpaceError } from "../../errors.ts";
import type { Digest } from "../../oci/digest.ts";
import { OciMediaType } from "../../oci/mediatype.ts";
import { AuthError, type Authorizer, openAccess, TokenAccess } from "./auth.ts";
import { BlobStore, isUuid, requestDigest } from "./blobs.ts";
import { listRepositories, paginate } from "./catalog.ts";
import { DistributionError } from "./errors.ts";
import { isDigestReference, ManifestStore } from "./manifests.ts";
import { RegistryMetrics } from "./metrics.ts";
import { byteRange, chunkStart, limitStream, pageSize, query, readCapped } from "./request-parts.ts";
import { NAME_EXACT, needOf, route, TAG } from "./routes.ts";
import { sendFileRange } from "./send-file.ts";
import type { StorageDriver } from "./storage/driver.ts";

export interface RegistryAppOptions {
  driver: StorageDriver;
  /** DELETE of manifests and blobs (default true; distribution's storage.delete.enabled). */
  deleteEnabled?: boolean;
  /** pino logger options, or false for none. */
  logger?: false | { level: string };
  /** One log line per request (default true). */
  accessLog?: boolean;
  /** Who may do what (default: everyone everything). */
  authorizer?: Authorizer;
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: Buffer; key: Buffer };
  /** Serve /metrics (Prometheus text) and count requests (default true). */
  metrics?: boolean;
  /** Limits against slow or greedy clients. */
  limits?: {
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
}

/** An unread request body up to this size is drained after an error answer rather than cut off. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** A manifest larger than this is refused (as distribution and containerd do). */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

export async function createRegistryApp(options: RegistryAppOptions): Promise<FastifyInstance> {
  const driver = options.driver;
  const blobs = new BlobStore(driver);
  const manifests = new ManifestStore(driver, blobs);
  const deleteEnabled = options.deleteEnabled ?? true;
  const authorizer = options.authorizer ?? openAccess();
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: options.accessLog === false }),
    // Bodies are streams the handlers read themselves (blobs of any size, manifests capped).
    bodyLimit: MANIFEST_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Node checks header and request timeouts every connectionsCheckingInterval (30 s by default):
    // once a second, so that a slow client is cut off close to its limit.
    ...(options.tls
      ? { https: { ...options.tls, connectionsCheckingInterval: 1000 } }
      : { http: { connectionsCheckingInterval: 1000 } }),
    // A client that sends headers slowly, or sits idle, gives its connection back.
    connectionTimeout: 0,
    requestTimeout: options.limits?.requestTimeoutMs ?? 0,
    keepAliveTimeout: options.limits?.keepAliveTimeoutMs ?? 75_000,
  });
  app.server.maxConnections = options.limits?.maxConnections ?? 1024;
  app.server.headersTimeout = options.limits?.headersTimeoutMs ?? 30_000;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null));

  const metrics = options.metrics === false ? undefined : new RegistryMetrics();
  /** One request into the metrics (from the onResponse hook, or by a hijacked blob GET). */
  const record = (request: FastifyRequest, status: number, bytesOut: number, elapsedMs: number) => {
    if (!metrics) return;
    let kind = "other";
    try {
      kind = route(request.url.split("?", 1)[0]!)?.kind ?? "other";
    } catch {
      kind = "invalid";
    }
    const bytesIn = Number(request.headers["content-length"] ?? 0) || 0;
    metrics.observe(
      request.method,
      kind,
      status,
      elapsedMs / 1000,
      bytesIn,
      request.method === "HEAD" ? 0 : bytesOut,
    );
  };

  /**
   * GET of a blob range through reused buffers (send-file.ts), when the driver can read at positions.
   * Fastify's reply is hijacked: the headers set so far go out with writeHead.
   */
  const sendBlob = async (
    request: FastifyRequest,
    reply: FastifyReply,
    digest: Digest,
    start: number,
    length: number,
  ) => {
    const file = await blobs.openFile(digest);
    if (!file) {
      const stream = await blobs.open(digest, start);
      return reply.send(start === 0 ? stream : Readable.from(limitStream(stream, length)));
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
    const sent = await sendFileRange(res, file, start, length).catch(() => -1);
    // Short (a truncated blob, a client gone): the connection must not carry on as if complete.
    if (sent === length) res.end();
    else res.destroy();
    record(request, reply.statusCode, Math.max(0, sent), reply.elapsedTime);
  };

  const uploadLocation = (name: string, uuid: string) => `/v2/${name}/blobs/uploads/${uuid}`;
  const uploadHeaders = (reply: FastifyReply, name: string, uuid: string, size: number) =>
    reply
      .header("location", uploadLocation(name, uuid))
      .header("range", `0-${Math.max(0, size - 1)}`)
      .header("docker-upload-uuid", uuid);

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header("docker-distribution-api-version", "registry/2.0");
    const url = request.url;
    const path = url.split("?", 1)[0]!;
    const r = route(path);
    if (!r) throw new DistributionError("NAME_UNKNOWN", `not found: ${path}`);
    const method = request.method;
    const q = query(url);
    const authorization = request.headers.authorization;
    await authorizer.authorize(authorization, needOf(r, method), request.headers.host ?? "");
    switch (r.kind) {
      case "base":
        return reply.type("application/json").send("{}");

      case "catalog": {
        const { page, more } = paginate(
          await listRepositories(driver),
          pageSize(q.get("n")),
          q.get("last") ?? undefined,
        );
        if (more) reply.header("link", `</v2/_catalog?n=${q.get("n")}&last=${page.at(-1)}>; rel="next"`);
        return reply.type("application/json").send(JSON.stringify({ repositories: page }));
      }

      case "tags": {
        const { page, more } = paginate(
          await manifests.tags(r.name),
          pageSize(q.get("n")),
          q.get("last") ?? undefined,
        );
        if (more)
          reply.header("link", `</v2/${r.name}/tags/list?n=${q.get("n")}&last=${page.at(-1)}>; rel="next"`);
        return reply.type("application/json").send(JSON.stringify({ name: r.name, tags: page }));
      }

      case "referrers": {
        const subject = requestDigest(r.digest);
        const artifactType = q.get("artifactType") ?? undefined;
        const found = await manifests.referrers(r.name, subject, artifactType);
        if (artifactType !== undefined) reply.header("oci-filters-applied", "artifactType");
        // A Buffer: for a string fastify would add "; charset=utf-8" to the media type.
        return reply
          .type(OciMediaType.ImageIndex)
          .send(
            Buffer.from(
              JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests: found }),
            ),
          );
      }

      case "manifest": {
        const { name, reference } = r;
        if (!isDigestReference(reference) && !TAG.test(reference)) {
          // No such tag can exist: unknown to a reader, invalid to a writer.
          if (method === "PUT") throw new DistributionError("MANIFEST_INVALID", `invalid tag: ${reference}`);
          throw new DistributionError("MANIFEST_UNKNOWN", `manifest unknown: ${reference}`);
        }
        if (method === "GET" || method === "HEAD") {
          const m = await manifests.get(name, reference);
          reply
            .type(m.mediaType)
            .header("docker-content-digest", m.digest)
            .header("etag", `"${m.digest}"`)
            .header("content-length", m.bytes.byteLength);
          return method === "HEAD" ? reply.send() : reply.send(m.bytes);
        }
        if (method === "PUT") {
          const bytes = await readCapped(request, MANIFEST_LIMIT);
          const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim();
          const result = await manifests.put(name, reference, bytes, contentType);
          if (result.subject) reply.header("oci-subject", result.subject);
          return reply
            .code(201)
            .header("location", `/v2/${name}/manifests/${result.digest}`)
            .header("docker-content-digest", result.digest)
            .send();
        }
        if (method === "DELETE") {
          if (!deleteEnabled)
            throw new DistributionError("UNSUPPORTED", "deletes are disabled on this registry");
          await manifests.delete(name, reference);
          return reply.code(202).send();
        }
        break;
      }

      case "blob": {
        const digest = requestDigest(r.digest);
        if (method === "GET" || method === "HEAD") {
          const size = await blobs.stat(r.name, digest);
          if (size === undefined) throw new DistributionError("BLOB_UNKNOWN", `blob unknown: ${digest}`);
          reply
            .header("docker-content-digest", digest)
            .header("etag", `"${digest}"`)
            .header("accept-ranges", "bytes")
            .type("application/octet-stream");
          const range = byteRange(request.headers.range, size);
          if (range === "invalid") {
            return reply.code(416).header("content-range", `bytes */${size}`).send();
          }
          if (range) {
            reply
              .code(206)
              .header("content-range", `bytes ${range.start}-${range.end}/${size}`)
              .header("content-length", range.end - range.start + 1);
            if (method === "HEAD") return reply.send();
            return sendBlob(request, reply, digest, range.start, range.end - range.start + 1);
          }
          reply.header("content-length", size);
          return method === "HEAD" ? reply.send() : sendBlob(request, reply, digest, 0, size);
        }
        if (method === "DELETE") {
          if (!deleteEnabled)
            throw new DistributionError("UNSUPPORTED", "deletes are disabled on this registry");
          await blobs.unlink(r.name, digest);
          return reply.code(202).send();
        }
        break;
      }

      case "uploads": {
        if (method !== "POST") break;
        const mount = q.get("mount");
        const from = q.get("from");
        const mayReadFrom = async (repository: string) =>
          authorizer
            .authorize(authorization, { repository, actions: ["pull"] }, request.headers.host ?? "")
            .then(
              () => true,
              () => false,
            );
        if (mount !== null && from !== null && NAME_EXACT.test(from)) {
          const digest = requestDigest(mount);
          // Not mountable (absent, or not readable by this client): an ordinary upload instead.
          if ((await mayReadFrom(from)) && (await blobs.stat(from, digest)) !== undefined) {
            await blobs.link(r.name, digest);
            return reply
              .code(201)
              .header("location", `/v2/${r.name}/blobs/${digest}`)
              .header("docker-content-digest", digest)
              .send();
          }
        }
        const monolithic = q.get("digest");
        const uuid = await blobs.startUpload(r.name);
        if (monolithic !== null) {
          const digest = requestDigest(monolithic);
          try {
            await blobs.append(r.name, uuid, request.raw);
            await blobs.finish(r.name, uuid, digest);
          } catch (err) {
            await blobs.cancel(r.name, uuid).catch(() => undefined);
            throw err;
          }
          return reply
            .code(201)
            .header("location", `/v2/${r.name}/blobs/${digest}`)
            .header("docker-content-digest", digest)
            .send();
        }
        return uploadHeaders(reply.code(202), r.name, uuid, 0).send();
      }

      case "upload": {
        const { name, uuid } = r;
        if (!isUuid(uuid)) throw new DistributionError("BLOB_UPLOAD_UNKNOWN");
        if (method === "GET") {
          const size = await blobs.uploadSize(name, uuid);
          return uploadHeaders(reply.code(204), name, uuid, size).send();
        }
        if (method === "PATCH") {
          const start = chunkStart(request.headers["content-range"]);
          const size = await blobs.append(name, uuid, request.raw, start);
          return uploadHeaders(reply.code(202), name, uuid, size).send();
        }
        if (method === "PUT") {
          const digest = requestDigest(q.get("digest") ?? undefined);
          await blobs.append(name, uuid, request.raw);
          await blobs.finish(name, uuid, digest);
          return reply
            .code(201)
            .header("location", `/v2/${name}/blobs/${digest}`)
            .header("docker-content-digest", digest)
            .send();
        }
        if (method === "DELETE") {
          await blobs.cancel(name, uuid);
          return reply.code(204).send();
        }
        break;
      }
    }
    throw new DistributionError("UNSUPPORTED", `${method} is not supported here`);
  };

  app.setErrorHandler((thrown, request, reply) => {
    reply.header("docker-distribution-api-version", "registry/2.0");
    if (thrown instanceof AuthError && thrown.challenge) reply.header("www-authenticate", thrown.challenge);
    const noSpace = noSpaceError(thrown);
    if (noSpace) request.log.error({ err: noSpace }, "storage full");
    // A full disk is the server's failure (507): nothing was stored, and an upload resumes later.
    const err = noSpace
      ? new DistributionError("UNKNOWN", "no space left on device", undefined, 507)
      : thrown;
    if (err instanceof DistributionError) {
      // Node reads and discards an unread body after the response, so that the client (still
      // sending) gets its answer; past DRAIN_LIMIT the connection is closed instead.
      const declared = Number(request.headers["content-length"] ?? 0);
      if (!request.raw.complete && !(declared <= DRAIN_LIMIT)) reply.header("connection", "close");
      return reply.code(err.status).type("application/json").send(err.body());
    }
    request.log.error({ err }, "request failed");
    return reply.code(500).type("application/json").send(new DistributionError("UNKNOWN").body());
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type("application/json")
      .send(new DistributionError("NAME_UNKNOWN", `not found: ${request.url}`).body());
  });
  if (metrics) {
    app.addHook("onResponse", async (request, reply) => {
      record(
        request,
        reply.statusCode,
        Number(reply.getHeader("content-length") ?? 0) || 0,
        reply.elapsedTime,
      );
    });
    app.get("/metrics", async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.text()),
    );
  }
  // Liveness and readiness: the storage answers. (While closing, fastify answers 503 by itself.)
  app.get("/health", async (_request, reply) => {
    await driver.list("/");
    return reply.type("application/json").send('{"status":"ok"}');
  });
  if (authorizer instanceof TokenAccess) {
    const issuer = authorizer;
    app.route({
      method: ["GET", "POST"],
      url: "/token",
      handler: async (request, reply) => {
        const form = query(request.url);
        if (request.method === "POST") {
          const body = await readCapped(request, 64 * 1024);
          for (const [k, v] of new URLSearchParams(body.toString())) form.append(k, v);
        }
        const json = await issuer.issue(request.headers.authorization, form);
        return reply.header("cache-control", "no-store").type("application/json").send(json);
      },
    });
  }
  app.route({ method: ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"], url: "/v2", handler: handle });
  app.route({ method: ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"], url: "/v2/*", handler: handle });
  return app;
}
