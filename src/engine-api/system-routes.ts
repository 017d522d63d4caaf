/**
 * The Engine API's system routes (moby's router/system): /_ping (what the docker CLI negotiates
 * with), /version, /info, /system/df, /events and /auth, in dockerd's shapes (api/swagger.yaml).
 * wharf has no containers, so their counts are 0 and their lists empty; the images are the store's.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { type BuildCacheItem, buildCacheItems } from "../build/engine/build-cache-items.ts";
import { imageDiskUsage } from "../images/disk-usage.ts";
import { loadImages } from "../images/model.ts";
import { formatRFC3339Nano, nowInstant } from "../images/time.ts";
import { loginServer } from "../registry/client/hosts.ts";
import { WHARF_VERSION } from "../version.ts";
import {
  API_VERSION,
  type EngineContext,
  MIN_API_VERSION,
  type RegistryAuth,
  type RouteRegistrar,
  requestApiVersion,
} from "./context.ts";
import { EngineApiError } from "./errors.ts";
import { apiSummary } from "./images/image-list.ts";

export interface SystemRouteSettings {
  /** Registries the service reaches over plain HTTP (its --insecure-registry), for /info. */
  insecureRegistries: readonly string[];
}

/** Go's GOARCH for node's process.arch (docker's names: amd64, arm64, ...). */
const GO_ARCH: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", ppc64: "ppc64le" };
const goArch = (): string => GO_ARCH[process.arch] ?? process.arch;

/** When this module was built (its file's time): the nearest thing wharf has to dockerd's BuildTime. */
function buildTime(): string {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
  } catch {
    return "";
  }
}

/** /etc/os-release's PRETTY_NAME and VERSION_ID, as dockerd reports the host. */
function osRelease(): { name: string; version: string } {
  let text = "";
  try {
    text = readFileSync("/etc/os-release", "utf8");
  } catch {
    return { name: "linux", version: "" };
  }
  const field = (key: string) =>
    new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1]?.replace(/^["']|["']$/g, "") ?? "";
  return { name: field("PRETTY_NAME") || "linux", version: field("VERSION_ID") };
}

function versionDocument() {
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "n/a",
    GoVersion: `node ${process.version}`,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: buildTime(),
    Experimental: "false",
  };
  const { Experimental: _, ...top } = details;
  return {
    Platform: { Name: "wharf" },
    Components: [{ Name: "Engine", Version: WHARF_VERSION, Details: details }],
    Version: WHARF_VERSION,
    ...top,
  };
}

/** A stable ID per wharf root (dockerd keeps a random one in its engine-id file), as a UUID. */
function engineId(root: string): string {
  const h = createHash("sha256").update(`wharf-engine:${root}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** moby's registry.ServiceConfig: Docker Hub, the service's insecure registries, loopback. */
function registryConfig(insecure: readonly string[]) {
  const indexConfigs: Record<string, unknown> = {
    "docker.io": { Name: "docker.io", Mirrors: [], Secure: true, Official: true },
  };
  for (const name of insecure)
    indexConfigs[name] = { Name: name, Mirrors: [], Secure: false, Official: false };
  return { InsecureRegistryCIDRs: ["::1/128", "127.0.0.0/8"], IndexConfigs: indexConfigs, Mirrors: [] };
}

async function infoDocument(ctx: EngineContext, settings: SystemRouteSettings) {
  const images = await loadImages(ctx.store, { computeSizes: false });
  const release = osRelease();
  return {
    ID: engineId(ctx.root),
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: images.length,
    Driver: "wharf",
    DriverStatus: [["Root Dir", ctx.root]],
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: formatRFC3339Nano(nowInstant(), -new Date().getTimezoneOffset()),
    LoggingDriver: "",
    CgroupDriver: "none",
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: release.name,
    OSVersion: release.version,
    OSType: "linux",
    Architecture: os.machine(),
    IndexServerAddress: "https://index.docker.io/v1/",
    RegistryConfig: registryConfig(settings.insecureRegistries),
    NCPU: os.availableParallelism(),
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: ctx.root,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? "",
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? "",
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? "",
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: WHARF_VERSION,
    Runtimes: {},
    DefaultRuntime: "",
    Swarm: {
      NodeID: "",
      NodeAddr: "",
      LocalNodeState: "inactive",
      ControlAvailable: false,
      Error: "",
      RemoteManagers: null,
    },
    LiveRestoreEnabled: false,
    Isolation: "",
    InitBinary: "",
    ContainerdCommit: { ID: "", Expected: "" },
    RuncCommit: { ID: "", Expected: "" },
    InitCommit: { ID: "", Expected: "" },
    SecurityOptions: [],
    CDISpecDirs: [],
    // Not empty: with no warnings the docker CLI prints its own about cgroup limits wharf has no use for.
    Warnings: ["WARNING: wharf manages images only: no containers, networks, volumes or swarm"],
  };
}

/** GET /events: no events ever happen; the stream stays open until `until`, the client, or close. */
function registerEvents(app: FastifyInstance): void {
  const open = new Set<FastifyReply>();
  app.get<{ Querystring: { until?: string } }>("/events", (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { ...reply.getHeaders(), "content-type": "application/json" } as Record<
      string,
      string
    >);
    reply.raw.flushHeaders();
    const until = Number(request.query.until);
    const end = () => {
      open.delete(reply);
      if (!reply.raw.writableEnded) reply.raw.end();
    };
    if (Number.isFinite(until) && request.query.until !== "") {
      const timer = setTimeout(end, Math.max(0, until * 1000 - Date.now()));
      reply.raw.once("close", () => clearTimeout(timer));
    }
    open.add(reply);
    reply.raw.once("close", () => open.delete(reply));
  });
  app.addHook("preClose", async () => {
    for (const reply of [...open]) reply.raw.end();
    open.clear();
  });
}

/** A build cache item as moby's types.BuildCache: nothing is in use while no build runs. */
function apiBuildCache(item: BuildCacheItem) {
  return {
    ID: item.id,
    Parents: null,
    Type: item.type,
    Description: item.description,
    InUse: false,
    Shared: false,
    Size: item.size,
    CreatedAt: item.createdAt,
    LastUsedAt:
      item.lastUsedAt === undefined ? null : formatRFC3339Nano(BigInt(item.lastUsedAt) * 1_000_000n),
    UsageCount: item.usageCount,
  };
}

/** POST /auth (docker login): the credentials checked against the registry, nothing stored. */
function registerAuth(app: FastifyInstance, ctx: EngineContext): void {
  app.post<{ Body: RegistryAuth | undefined }>("/auth", async (request, reply) => {
    const auth = request.body;
    if (typeof auth !== "object" || auth === null || Array.isArray(auth)) {
      throw new EngineApiError(400, "invalid JSON body: want the login's AuthConfig");
    }
    const client = await ctx.registryClient(loginServer(auth.serveraddress), auth);
    try {
      const { identityToken } = await client.checkLogin();
      return reply.send({ Status: "Login Succeeded", IdentityToken: identityToken ?? "" });
    } finally {
      await client.close();
    }
  });
}

export function systemRoutes(settings: SystemRouteSettings): RouteRegistrar {
  return (app, ctx) => {
    app.get("/_ping", (_request, reply) =>
      reply
        .header("Builder-Version", "1")
        .header("Swarm", "inactive")
        .header("Cache-Control", "no-cache, no-store, must-revalidate")
        .header("Pragma", "no-cache")
        .type("text/plain; charset=utf-8")
        .send("OK"),
    );
    app.get("/version", (_request, reply) => reply.send(versionDocument()));
    app.get("/info", async (_request, reply) => reply.send(await infoDocument(ctx, settings)));
    app.get("/system/df", async (request, reply) => {
      const usage = imageDiskUsage(await loadImages(ctx.store));
      const version = requestApiVersion(request);
      return reply.send({
        LayersSize: usage.layersSize,
        Images: usage.images.map((summary) => apiSummary(summary, version)),
        Containers: [],
        Volumes: [],
        BuildCache: (await buildCacheItems(ctx.store)).map(apiBuildCache),
      });
    });
    registerEvents(app);
    registerAuth(app, ctx);
  };
}

/** The system routes with no service settings (no insecure registries). */
export const registerSystemRoutes: RouteRegistrar = systemRoutes({ insecureRegistries: [] });
