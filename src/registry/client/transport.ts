/**
 * The HTTP layer of the registry client (over http.ts): keep-alive connection pools, the choice of scheme,
 * redirects that never carry credentials to another origin, bounded retries with backoff, and
 * timeouts that name what was being waited for.
 *
 * Scheme: HTTPS with certificate verification (system CAs plus an optional custom CA). Plain HTTP only
 * for loopback hosts and hosts the user marks insecure (`insecureRegistries`, see
 * registries-config.ts); for those, HTTPS is tried first without verification, as dockerd does for
 * insecure registries, and HTTP is used when the TLS handshake fails.
 */
import { rootCertificates } from "node:tls";
import { WharfError } from "../../errors.ts";
import { WHARF_VERSION } from "../../version.ts";
import { isListedInsecure, isLoopbackHost, splitHostPort } from "./hosts.ts";
import {
  BODY_TIMEOUT,
  CONNECT_TIMEOUT,
  exchange,
  HEADERS_TIMEOUT,
  Pool,
  type RawResponse,
  type RequestBody,
  type ResponseBody,
} from "./http.ts";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
export type HttpHeaders = Record<string, string | string[] | undefined>;

export interface TransportOptions {
  /** Hosts (host[:port]) or IPv4 CIDRs allowed plain HTTP / unverified HTTPS, besides loopback. */
  insecureRegistries?: readonly string[];
  /** PEM CA certificate(s) trusted in addition to the system's (for the registry, realms and redirects). */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Retries after the first attempt for 5xx, 429 and dropped connections (default 3). */
  retries?: number;
  /** First backoff delay (default 250 ms); doubles per retry, with jitter, up to maxRetryDelayMs. */
  retryBaseDelayMs?: number;
  /** Cap of one backoff delay (default 10 s). */
  maxRetryDelayMs?: number;
  /** A 429/503 whose Retry-After asks for longer than this (default 60 s) is not retried. */
  maxRetryAfterMs?: number;
  /** Connect (TCP + TLS) timeout (default 30 s). */
  connectTimeoutMs?: number;
  /** Time to wait for response headers (default 60 s). */
  headersTimeoutMs?: number;
  /** Time a response body may go without data (default 60 s). */
  bodyTimeoutMs?: number;
  /** Redirects followed per request (default 10). */
  maxRedirects?: number;
  /** Default `wharf/<version>`. */
  userAgent?: string;
  /**
   * Loopback hosts may use plain HTTP without being listed (default true). docker's own CLI
   * (`docker manifest`) allows them only with `--insecure`.
   */
  loopbackInsecure?: boolean;
}

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL, or a path (with query) on the registry. */
  url: string | URL;
  headers?: Record<string, string>;
  /**
   * Replayable bodies only: the request may be retried or redirected. A StreamBody is re-opened for
   * each attempt (pass `retry: false` when a repeat must be decided by the caller, e.g. an upload chunk).
   */
  body?: RequestBody;
  signal?: AbortSignal;
  /** Retry on 5xx/429/dropped connections (default: true). */
  retry?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: HttpHeaders;
  /** Must be consumed or dumped (`await body.dump()`) so the connection can be reused. */
  readonly body: ResponseBody;
  /** The URL that answered (after redirects). */
  readonly url: URL;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Connection-level failures worth another attempt: the server or a middlebox dropped the connection. */
const RETRY_ERROR_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"]);
/** TLS handshake failures that, for an insecure host, mean "speak plain HTTP". */
const TLS_FALLBACK_CODES = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ECONNRESET",
  "EPROTO",
]);

/**
 * A TLS handshake answered by a plain-HTTP server (Go's "server gave HTTP response to HTTPS
 * client"): the registry speaks HTTP only.
 */
export function isPlainHttpAnswer(err: unknown): boolean {
  if (!(err instanceof WharfError) || err.code !== "REGISTRY_TLS") return false;
  const cause = (err.detail as { cause?: unknown } | undefined)?.cause;
  return typeof cause === "string" && cause !== "ECONNRESET" && TLS_FALLBACK_CODES.has(cause);
}

/** The first header value (repeated headers may come as arrays). */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Maps a connection-level failure (a socket error or one of http.ts's timeouts) to a WharfError naming the host and what
 * was awaited. `phase` says whether the headers had arrived (errors while reading a body).
 */
export function networkError(
  err: unknown,
  method: string,
  url: URL,
  timeouts: { connectMs: number; headersMs: number; bodyMs: number },
): WharfError {
  if (err instanceof WharfError) return err;
  const e = err as NodeJS.ErrnoException;
  const host = url.host;
  const detail = { host, url: url.href, method, cause: e?.code };
  const opts = { cause: err };
  switch (e?.code) {
    case HEADERS_TIMEOUT:
      return new WharfError(
        "REGISTRY_TIMEOUT",
        `timeout awaiting response headers from ${host} after ${seconds(timeouts.headersMs)}`,
        detail,
        opts,
      );
    case BODY_TIMEOUT:
      return new WharfError(
        "REGISTRY_TIMEOUT",
        `timeout reading the response body from ${host}: no data for ${seconds(timeouts.bodyMs)}`,
        detail,
        opts,
      );
    case CONNECT_TIMEOUT:
      return new WharfError(
        "REGISTRY_TIMEOUT",
        `timeout connecting to ${host} after ${seconds(timeouts.connectMs)}`,
        detail,
        opts,
      );
  }
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  const prefix = `${verb} "${url.href}"`;
  const code = e?.code ?? "";
  if (/^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_SSL_)/.test(code) || code === "EPROTO") {
    return new WharfError("REGISTRY_TLS", `${prefix}: tls: ${e.message.split("\n")[0]}`, detail, opts);
  }
  // node:http says ECONNRESET both for a TCP reset ("read ECONNRESET") and for a connection the
  // server closed before the response ended ("socket hang up", "aborted").
  const closedEarly = code === "ECONNRESET" && (e.message === "aborted" || e.message === "socket hang up");
  // Go's net.OpError: a failed connect names the address dialled ("dial tcp 127.0.0.1:1: connect:
  // connection refused"), a failed lookup none ("dial tcp: lookup HOST: no such host").
  const dialled = `dial tcp ${dialAddress(e, url)}`;
  const reason =
    (closedEarly ? "connection closed by the server" : undefined) ??
    {
      ECONNREFUSED: `${dialled}: connect: connection refused`,
      ECONNRESET: "connection reset by peer",
      EPIPE: "broken pipe",
      ENOTFOUND: `dial tcp: lookup ${url.hostname}: no such host`,
      EAI_AGAIN: `dial tcp: lookup ${url.hostname}: temporary failure in name resolution`,
      EHOSTUNREACH: `${dialled}: connect: no route to host`,
      ENETUNREACH: `${dialled}: connect: network is unreachable`,
    }[code] ??
    (e?.message || String(err));
  return new WharfError("REGISTRY_UNAVAILABLE", `${prefix}: ${reason}`, detail, opts);
}

/** The IP and port a connect failed on (as Go prints them: IPv6 in brackets), else the URL's. */
function dialAddress(e: NodeJS.ErrnoException & { address?: string; port?: number }, url: URL): string {
  const port = e?.port ?? (url.port || (url.protocol === "https:" ? "443" : "80"));
  const address = e?.address ?? url.hostname.replace(/^\[|\]$/g, "");
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function isAbort(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === "AbortError" || (err as NodeJS.ErrnoException)?.code === "ABORT_ERR";
}

/** A connection failure at one hop of a redirect chain: the error names the URL that failed. */
class HopFailure {
  readonly error: unknown;
  readonly url: URL;
  constructor(error: unknown, url: URL) {
    this.error = error;
    this.url = url;
  }
}

/** One registry's HTTP transport. Close it when done (it owns connection pools). */
export class Transport {
  /** The registry's host[:port]. */
  readonly host: string;
  readonly userAgent: string;
  readonly timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  readonly #insecureList: readonly string[];
  readonly #loopbackInsecure: boolean;
  readonly #retries: number;
  readonly #baseDelay: number;
  readonly #maxDelay: number;
  readonly #maxRetryAfter: number;
  readonly #maxRedirects: number;
  /** Verifying pool: every origin but an insecure registry's own. */
  readonly #secure: Pool;
  /** Non-verifying pool for this registry's origin when it is insecure (created lazily). */
  #unverified: Pool | undefined;
  #scheme: Promise<"https:" | "http:"> | undefined;

  constructor(host: string, options: TransportOptions = {}) {
    this.host = host;
    this.userAgent = options.userAgent ?? `wharf/${WHARF_VERSION}`;
    this.#insecureList = options.insecureRegistries ?? [];
    this.#loopbackInsecure = options.loopbackInsecure ?? true;
    this.#retries = options.retries ?? 3;
    this.#baseDelay = options.retryBaseDelayMs ?? 250;
    this.#maxDelay = options.maxRetryDelayMs ?? 10_000;
    this.#maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.timeouts = {
      connectMs: options.connectTimeoutMs ?? 30_000,
      headersMs: options.headersTimeoutMs ?? 60_000,
      bodyMs: options.bodyTimeoutMs ?? 60_000,
    };
    const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    const ca =
      extra.length === 0
        ? undefined
        : [...rootCertificates, ...extra.map((c) => (typeof c === "string" ? c : Buffer.from(c).toString()))];
    this.#secure = new Pool(ca === undefined ? {} : { ca });
  }

  /** True for loopback hosts and hosts the user marked insecure. */
  allowsPlainHttp(host: string = this.host): boolean {
    return (this.#loopbackInsecure && isLoopbackHost(host)) || isListedInsecure(host, this.#insecureList);
  }

  /** Explicitly marked insecure by the user (loopback alone does not count). */
  isMarkedInsecure(host: string = this.host): boolean {
    return isListedInsecure(host, this.#insecureList);
  }

  /**
   * May a Bearer realm be fetched over plain HTTP? Only when the registry or the realm host is marked
   * insecure, or the registry itself is spoken to over plain HTTP and the realm is on the same host
   * name (then credentials travel no path the registry's own requests do not).
   */
  async allowsPlainHttpRealm(realm: URL): Promise<boolean> {
    if (this.isMarkedInsecure() || this.isMarkedInsecure(realm.host)) return true;
    const scheme = await this.scheme();
    return scheme === "http:" && realm.hostname === splitHostPort(this.host).hostname;
  }

  /** The registry's scheme: https, or (insecure hosts whose TLS handshake fails) http. Probed once. */
  scheme(signal?: AbortSignal): Promise<"https:" | "http:"> {
    if (!this.allowsPlainHttp()) return Promise.resolve("https:");
    this.#scheme ??= this.#probeScheme(signal);
    return this.#scheme;
  }

  async #probeScheme(signal?: AbortSignal): Promise<"https:" | "http:"> {
    const url = new URL(`https://${this.host}/v2/`);
    try {
      const res = await this.#dispatch("GET", url, { "user-agent": this.userAgent }, undefined, signal);
      await res.body.dump();
      return "https:";
    } catch (err) {
      if (isAbort(err)) {
        this.#scheme = undefined;
        throw err;
      }
      const code = (err as NodeJS.ErrnoException)?.code ?? "";
      if (TLS_FALLBACK_CODES.has(code) || /^ERR_SSL_/.test(code)) return "http:";
      // Nothing answered at all (refused, timeout): HTTP will say the same; let the request report it.
      return "http:";
    }
  }

  /** Absolute URL for a registry path ("/v2/..."). */
  async url(path: string, signal?: AbortSignal): Promise<URL> {
    return new URL(`${await this.scheme(signal)}//${this.host}${path}`);
  }

  #poolFor(url: URL): Pool {
    if (url.host === this.host && url.protocol === "https:" && this.allowsPlainHttp()) {
      this.#unverified ??= new Pool({ rejectUnauthorized: false });
      return this.#unverified;
    }
    return this.#secure;
  }

  #dispatch(
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse> {
    return exchange(this.#poolFor(url), { method, url, headers, body, signal }, this.timeouts);
  }

  /**
   * Sends a request: resolves the registry's scheme for relative URLs, follows redirects (dropping
   * Authorization when the origin changes; refusing non-HTTP(S) targets and plain HTTP to hosts that
   * are not allowed it), and retries 5xx/429 and dropped connections with backoff. A response whose
   * retries are exhausted is returned as is (the caller maps its status); a connection failure
   * throws a WharfError (REGISTRY_UNAVAILABLE, REGISTRY_TIMEOUT, REGISTRY_TLS).
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const url =
      typeof req.url === "string" && req.url.startsWith("/")
        ? await this.url(req.url, req.signal)
        : new URL(req.url);
    const retry = req.retry ?? true;
    for (let attempt = 0; ; attempt += 1) {
      let res: HttpResponse;
      try {
        res = await this.#follow(req, url);
      } catch (failure) {
        const [err, at] = failure instanceof HopFailure ? [failure.error, failure.url] : [failure, url];
        if (isAbort(err) || err instanceof WharfError) throw err;
        const code = (err as NodeJS.ErrnoException)?.code ?? "";
        if (retry && attempt < this.#retries && RETRY_ERROR_CODES.has(code)) {
          await sleep(this.#backoff(attempt), req.signal);
          continue;
        }
        throw networkError(err, req.method, at, this.timeouts);
      }
      if (retry && attempt < this.#retries && RETRY_STATUSES.has(res.status)) {
        const delay = this.#retryDelay(res, attempt);
        if (delay !== undefined) {
          await res.body.dump();
          await sleep(delay, req.signal);
          continue;
        }
      }
      return res;
    }
  }

  #backoff(attempt: number): number {
    const exp = Math.min(this.#maxDelay, this.#baseDelay * 2 ** attempt);
    return Math.round(exp * (0.5 + Math.random() / 2));
  }

  /** Retry-After when given (undefined: longer than allowed, do not retry), else backoff. */
  #retryDelay(res: HttpResponse, attempt: number): number | undefined {
    const after = parseRetryAfter(headerValue(res.headers, "retry-after"));
    if (after === undefined) return this.#backoff(attempt);
    return after > this.#maxRetryAfter ? undefined : after;
  }

  async #follow(req: HttpRequest, start: URL): Promise<HttpResponse> {
    let url = start;
    let method = req.method;
    let body = req.body;
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    for (let hops = 0; ; hops += 1) {
      let res: RawResponse;
      try {
        res = await this.#dispatch(method, url, headers, body, req.signal);
      } catch (err) {
        throw new HopFailure(err, url);
      }
      const location = headerValue(res.headers, "location");
      if (!REDIRECT_STATUSES.has(res.statusCode) || location === undefined) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      await res.body.dump();
      if (hops >= this.#maxRedirects) {
        throw new WharfError(
          "REGISTRY_PROTOCOL",
          `stopped after ${this.#maxRedirects} redirects from ${start.host}`,
          {
            url: start.href,
          },
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new WharfError("REGISTRY_PROTOCOL", `invalid redirect location from ${url.host}: ${location}`, {
          location,
        });
      }
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw new WharfError(
          "REGISTRY_PROTOCOL",
          `refusing redirect from ${url.host} to a ${next.protocol} URL`,
          { location: next.href },
        );
      }
      if (next.protocol === "http:" && !this.allowsPlainHttp(next.host)) {
        throw new WharfError(
          "REGISTRY_INSECURE_REFUSED",
          `refusing redirect from ${url.host} to plain HTTP on ${next.host} (not an insecure registry)`,
          { location: next.href },
        );
      }
      if (next.origin !== url.origin) {
        // Credentials belong to the registry's origin: blob redirects go to object storage.
        delete headers.authorization;
        delete headers.cookie;
      }
      if (
        res.statusCode === 303 ||
        ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")
      ) {
        method = method === "HEAD" ? "HEAD" : "GET";
        body = undefined;
        delete headers["content-type"];
        delete headers["content-length"];
      }
      url = next;
    }
  }

  async close(): Promise<void> {
    this.#secure.close();
    this.#unverified?.close();
  }
}
