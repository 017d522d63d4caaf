/**
 * Registry hosts: which API host serves a reference domain, and which hosts may be spoken to over
 * plain HTTP (loopback, and what the user marks insecure).
 */
import { isIP } from "node:net";
import { WharfError } from "../../errors.ts";
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN } from "../../oci/reference.ts";

/** Docker Hub's registry API host: reference domain docker.io is served here. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

/**
 * The registry a `docker login` address names, as docker keys its logins: "https://host:5000/v2/" or
 * "host:5000" -> "host:5000"; no address, and Docker Hub's API hosts, -> docker.io.
 */
export function loginServer(server: string | undefined): string {
  if (server === undefined || server === "") return DEFAULT_DOMAIN;
  const host = server.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  if (host === "" || /\s/.test(host))
    throw new WharfError("LOGIN_INPUT", `invalid registry address: ${server}`);
  if (host === LEGACY_DEFAULT_DOMAIN || host === DOCKER_HUB_API_HOST) return DEFAULT_DOMAIN;
  return host;
}

/** The host[:port] that serves the distribution API for a reference domain. */
export function apiHostFor(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/** Splits "host", "host:port", "[v6]:port" into the hostname (without brackets) and the port. */
export function splitHostPort(host: string): { hostname: string; port?: string } {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end !== -1) {
      const rest = host.slice(end + 1);
      const hostname = host.slice(1, end);
      return rest.startsWith(":") ? { hostname, port: rest.slice(1) } : { hostname };
    }
  }
  const colon = host.lastIndexOf(":");
  if (colon !== -1 && host.indexOf(":") === colon) {
    return { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
  }
  return { hostname: host };
}

/** localhost, 127.0.0.0/8 and ::1: plain HTTP to them never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  const { hostname } = splitHostPort(host);
  const name = hostname.toLowerCase();
  if (name === "localhost") return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1";
  return false;
}

function ipv4ToNumber(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/**
 * Whether `host` (host[:port]) is in an insecure-registries list. Entries are `host[:port]` (an entry
 * without a port matches the host on any port) or IPv4 CIDRs (`10.0.0.0/8`) matching IP-literal hosts;
 * names are not resolved to check CIDRs.
 */
export function isListedInsecure(host: string, insecureRegistries: readonly string[]): boolean {
  const { hostname, port } = splitHostPort(host.toLowerCase());
  for (const raw of insecureRegistries) {
    const entry = raw.trim().toLowerCase();
    const slash = entry.indexOf("/");
    if (slash !== -1) {
      const net = entry.slice(0, slash);
      const bits = Number(entry.slice(slash + 1));
      if (isIP(net) !== 4 || isIP(hostname) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32)
        continue;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      if ((ipv4ToNumber(net) & mask) >>> 0 === (ipv4ToNumber(hostname) & mask) >>> 0) return true;
      continue;
    }
    const e = splitHostPort(entry);
    if (e.hostname === hostname && (e.port === undefined || e.port === port)) return true;
  }
  return false;
}
