/**
 * The registry token flow (distribution's docs/spec/auth/token.md and oauth.md, as docker's
 * registry/client/auth/session.go implements it): a Bearer challenge names a realm and service; the
 * client asks the realm for a token for a set of scopes (`repository:NAME:pull`), with:
 *  - GET `realm?service=S&scope=A&scope=B`, Basic credentials when there are any (anonymous otherwise),
 *    with `offline_token=true&client_id=docker` for docker login, whose answer's `refresh_token` is
 *    kept as the login's identity token;
 *  - POST form `grant_type=refresh_token` when an identity token from `docker login` is present
 *    (falling back to GET when the server has no POST endpoint, as containerd does).
 * The answer's `token` (or `access_token`) lives `expires_in` seconds (at least 60) from `issued_at`;
 * tokens are cached per (realm, service, scope set, credentials) until then.
 */
import { WharfError } from "../../errors.ts";
import type { Challenge } from "./challenge.ts";
import type { Credentials } from "./credentials.ts";
import { responseError } from "./registry-errors.ts";
import { type HttpResponse, networkError, type Transport } from "./transport.ts";

/** distribution's minimumTokenLifetimeSeconds: shorter or missing expires_in count as this. */
export const MINIMUM_TOKEN_LIFETIME_S = 60;
/** A token is renewed this long before it expires, so it does not die in flight. */
const EXPIRY_MARGIN_MS = 5_000;
/**
 * docker's client ID (registry.AuthClientID). OAuth2 servers bind a refresh token to the client that
 * got it, and docker's and wharf's logins share config.json, so wharf presents itself as docker.
 */
const CLIENT_ID = "docker";
/** A token answer larger than this is not a token answer. */
const TOKEN_BODY_LIMIT = 1024 * 1024;

export interface Token {
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The refresh token the server returned, if any (OAuth2 POST with access_type=offline). */
  readonly refreshToken?: string;
}

/** `repository:NAME:pull`, the scope of a pull; actions comma-joined ("pull,push"). */
export function repositoryScope(repository: string, actions: readonly string[] = ["pull"]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/** Sorted and deduplicated, so that equal sets share a cache entry. */
function scopeSet(scopes: readonly string[]): string[] {
  return [...new Set(scopes.filter((s) => s !== ""))].sort();
}

function credentialsKey(creds: Credentials | undefined): string {
  if (creds === undefined) return "";
  return JSON.stringify([creds.username, creds.password, creds.identityToken ?? ""]);
}

async function readJson(res: HttpResponse, transport: Transport, what: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.byteLength;
      if (size > TOKEN_BODY_LIMIT) {
        res.body.destroy();
        throw new WharfError("REGISTRY_PROTOCOL", `${what}: response larger than ${TOKEN_BODY_LIMIT} bytes`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    throw networkError(err, "GET", res.url, transport.timeouts);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (err) {
    throw new WharfError(
      "REGISTRY_PROTOCOL",
      `${what}: invalid JSON: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}

/** Reads a token answer (GET or POST form). */
export function parseTokenResponse(value: unknown, now: number, realm: string): Token {
  const obj = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const token =
    typeof obj.access_token === "string" && obj.access_token !== ""
      ? obj.access_token
      : typeof obj.token === "string"
        ? obj.token
        : "";
  if (token === "") {
    throw new WharfError(
      "REGISTRY_PROTOCOL",
      "authorization server did not include a token in the response",
      { realm },
    );
  }
  const expiresIn =
    typeof obj.expires_in === "number" && obj.expires_in >= MINIMUM_TOKEN_LIFETIME_S
      ? obj.expires_in
      : MINIMUM_TOKEN_LIFETIME_S;
  const lifetime = expiresIn * 1000;
  const issued = typeof obj.issued_at === "string" ? Date.parse(obj.issued_at) : Number.NaN;
  // issued_at is the server's clock: trust it only when it is plausible here (in the past, and not
  // so long ago that the token would already be dead), or a skewed server would make every token stale.
  const base = !Number.isNaN(issued) && issued <= now && now - issued < lifetime ? issued : now;
  const refresh =
    typeof obj.refresh_token === "string" && obj.refresh_token !== "" ? obj.refresh_token : undefined;
  return refresh === undefined
    ? { token, expiresAt: base + lifetime }
    : { token, expiresAt: base + lifetime, refreshToken: refresh };
}

export interface TokenResult {
  readonly token: string;
  /** True when it was fetched for this call (not from the cache). */
  readonly fresh: boolean;
}

/**
 * Fetches and caches tokens for one registry (whose transport it uses, so that the realm gets the
 * same TLS settings, timeouts and retries). Concurrent requests for the same key share one fetch.
 */
export class TokenProvider {
  readonly #transport: Transport;
  readonly #cache = new Map<string, Token>();
  readonly #inflight = new Map<string, Promise<Token>>();
  /** Refresh tokens the realm returned, by realm+service, preferred over the configured one. */
  readonly #refresh = new Map<string, string>();
  readonly #offline: boolean;
  #lastRefreshToken: string | undefined;

  /** `offline`: ask for refresh tokens (docker login's offline access). */
  constructor(transport: Transport, options: { offline?: boolean } = {}) {
    this.#transport = transport;
    this.#offline = options.offline === true;
  }

  /** The refresh token most recently returned by a token server, if any. */
  get lastRefreshToken(): string | undefined {
    return this.#lastRefreshToken;
  }

  /** A token for `scopes` under a Bearer challenge, from the cache when still valid. */
  async get(
    challenge: Challenge,
    scopes: readonly string[],
    credentials: Credentials | undefined,
    signal?: AbortSignal,
  ): Promise<TokenResult> {
    const realm = challenge.params.realm ?? "";
    const service = challenge.params.service ?? "";
    const set = scopeSet(scopes);
    const key = JSON.stringify([realm, service, set, credentialsKey(credentials)]);
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) {
      return { token: cached.token, fresh: false };
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(realm, service, set, credentials, signal).finally(() =>
        this.#inflight.delete(key),
      );
      this.#inflight.set(key, pending);
    }
    const token = await pending;
    this.#cache.set(key, token);
    return { token: token.token, fresh: true };
  }

  /** Drops cached tokens for a scope set (a registry refused one before its expiry). */
  invalidate(challenge: Challenge, scopes: readonly string[], credentials: Credentials | undefined): void {
    const key = JSON.stringify([
      challenge.params.realm ?? "",
      challenge.params.service ?? "",
      scopeSet(scopes),
      credentialsKey(credentials),
    ]);
    this.#cache.delete(key);
  }

  async #realmUrl(realm: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new WharfError(
        "REGISTRY_PROTOCOL",
        `invalid token realm from ${this.#transport.host}: ${realm}`,
        {
          realm,
        },
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new WharfError("REGISTRY_PROTOCOL", `unsupported token realm scheme: ${realm}`, { realm });
    }
    if (url.protocol === "http:" && !(await this.#transport.allowsPlainHttpRealm(url))) {
      throw new WharfError(
        "REGISTRY_INSECURE_REFUSED",
        `refusing to fetch a token over plain HTTP from ${url.host} for ${this.#transport.host}: ` +
          `the realm ${realm} is on another host and the registry is not marked insecure`,
        { realm, registry: this.#transport.host },
      );
    }
    return url;
  }

  async #fetch(
    realm: string,
    service: string,
    scopes: readonly string[],
    credentials: Credentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Token> {
    if (realm === "") {
      throw new WharfError("REGISTRY_PROTOCOL", `Bearer challenge from ${this.#transport.host} has no realm`);
    }
    const url = await this.#realmUrl(realm);
    const refreshKey = JSON.stringify([realm, service, credentialsKey(credentials)]);
    const refreshToken = this.#refresh.get(refreshKey) ?? credentials?.identityToken;
    let token: Token | undefined;
    if (refreshToken !== undefined && refreshToken !== "") {
      token = await this.#post(url, service, scopes, refreshToken, signal);
    }
    token ??= await this.#get(url, service, scopes, credentials, signal);
    if (token.refreshToken !== undefined) {
      this.#refresh.set(refreshKey, token.refreshToken);
      this.#lastRefreshToken = token.refreshToken;
    }
    return token;
  }

  /** OAuth2 refresh_token grant; undefined when the server has no POST endpoint (404/405). */
  async #post(
    url: URL,
    service: string,
    scopes: readonly string[],
    refreshToken: string,
    signal: AbortSignal | undefined,
  ): Promise<Token | undefined> {
    const form = new URLSearchParams();
    form.set("grant_type", "refresh_token");
    form.set("refresh_token", refreshToken);
    form.set("service", service);
    form.set("client_id", CLIENT_ID);
    form.set("scope", scopes.join(" "));
    if (this.#offline) form.set("access_type", "offline");
    const res = await this.#transport.request({
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      signal,
    });
    if (res.status === 404 || res.status === 405) {
      await res.body.dump();
      return undefined;
    }
    if (res.status < 200 || res.status >= 300) throw await responseError(res, "token");
    return parseTokenResponse(
      await readJson(res, this.#transport, `token from ${url.host}`),
      Date.now(),
      url.href,
    );
  }

  async #get(
    realm: URL,
    service: string,
    scopes: readonly string[],
    credentials: Credentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Token> {
    const url = new URL(realm);
    if (service !== "") url.searchParams.append("service", service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    if (this.#offline) {
      url.searchParams.append("offline_token", "true");
      url.searchParams.append("client_id", CLIENT_ID);
    }
    const headers: Record<string, string> = {};
    if (credentials !== undefined && credentials.username !== "" && credentials.password !== "") {
      url.searchParams.append("account", credentials.username);
      headers.authorization = basicAuthorization(credentials);
    }
    const res = await this.#transport.request({ method: "GET", url, headers, signal });
    if (res.status < 200 || res.status >= 300) throw await responseError(res, "token");
    return parseTokenResponse(
      await readJson(res, this.#transport, `token from ${url.host}`),
      Date.now(),
      realm.href,
    );
  }
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}
