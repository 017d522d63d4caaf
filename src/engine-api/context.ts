/**
 * What every Engine API route gets (`wharf system service`): the store (opened once for the
 * server's life; any number of wharf processes share it), the wharf root, registry clients made as
 * the CLI makes them (the service's --insecure-registry, docker's config.json, or the credentials a
 * client sent in X-Registry-Auth), and the API version the request asked for. Routes are fastify
 * plugins registered by server.ts: `registerX(app, ctx)`, unversioned paths ("/images/json"); the
 * server strips `/vX.Y` and records the version.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RegistryClient } from "../registry/client/client.ts";
import type { Store } from "../store/store.ts";

/** The highest API version wharf serves (docker 27's), and the lowest it accepts (docker's minimum). */
export const API_VERSION = "1.47";
export const MIN_API_VERSION = "1.24";

/** X-Registry-Auth's decoded content (docker's AuthConfig), when a client sent one. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress?: string;
}

export interface EngineContext {
  store: Store;
  /** The wharf root (beside the store: scan/, manifests/, ...). */
  root: string;
  /** A client for a registry domain; `auth` from the request replaces docker's config.json. */
  registryClient(domain: string, auth?: RegistryAuth): Promise<RegistryClient>;
}

/** The version a request asked for (`/v1.43/...`), or API_VERSION for an unversioned path. */
export function requestApiVersion(request: FastifyRequest): string {
  return (request as FastifyRequest & { wharfApiVersion?: string }).wharfApiVersion ?? API_VERSION;
}

export type RouteRegistrar = (app: FastifyInstance, ctx: EngineContext) => void;
