/**
 * The credentials docker clients send with a request: X-Registry-Auth, one AuthConfig as base64url
 * JSON (pull, push, distribution), and X-Registry-Config, a map of registry server to AuthConfig
 * (build: for its base images). docker sends "e30=" (`{}`) when it has none; a header that does not
 * decode is ignored, as dockerd ignores it, and the registry then sees an anonymous client.
 */
import type { FastifyRequest } from "fastify";
import { credentialKey } from "../../registry/client/credentials.ts";
import type { RegistryAuth } from "../context.ts";

function decodeJson(header: string | string[] | undefined): unknown {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text === "") return undefined;
  try {
    // Node's base64 decoder reads both alphabets, padded or not (docker sends URL-safe).
    return JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
}

const STRING_FIELDS = ["username", "password", "identitytoken", "serveraddress"] as const;

/** An AuthConfig object's fields wharf uses; `auth` (base64 user:password) fills a missing pair. */
export function authConfigFrom(value: unknown): RegistryAuth | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const auth: RegistryAuth = {};
  for (const key of STRING_FIELDS) {
    const field = fields[key];
    if (typeof field === "string" && field !== "") auth[key] = field;
  }
  if (auth.username === undefined && typeof fields.auth === "string" && fields.auth !== "") {
    const pair = Buffer.from(fields.auth, "base64").toString("utf8");
    const colon = pair.indexOf(":");
    if (colon > 0) {
      auth.username = pair.slice(0, colon);
      auth.password = pair.slice(colon + 1);
    }
  }
  const empty = auth.username === undefined && auth.identitytoken === undefined;
  return empty ? undefined : auth;
}

/** X-Registry-Auth's credentials, or undefined (none sent, `{}`, or not decodable). */
export function registryAuthHeader(request: FastifyRequest): RegistryAuth | undefined {
  return authConfigFrom(decodeJson(request.headers["x-registry-auth"]));
}

/**
 * X-Registry-Config's credentials, keyed as docker's credential store keys them (credentialKey:
 * `https://index.docker.io/v1/` for Docker Hub, else the bare host of `host:port` or `https://host/`).
 */
export function registryConfigHeader(request: FastifyRequest): Map<string, RegistryAuth> {
  const decoded = decodeJson(request.headers["x-registry-config"]);
  const byHost = new Map<string, RegistryAuth>();
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) return byHost;
  for (const [server, value] of Object.entries(decoded)) {
    const auth = authConfigFrom(value);
    if (auth !== undefined) byHost.set(credentialKey(server), auth);
  }
  return byHost;
}

/** The credentials X-Registry-Config holds for a reference domain (docker.io: Docker Hub's key). */
export function authForDomain(
  config: ReadonlyMap<string, RegistryAuth>,
  domain: string,
): RegistryAuth | undefined {
  return config.get(credentialKey(domain));
}
