/**
 * Authenticated requests to one registry: the `/v2/` challenge (learned once, or from a 401), the
 * credentials (looked up once), Bearer tokens per scope or Basic, and a 401 retried once when a
 * cached token was refused or more scopes are asked for. RegistryClient speaks the distribution API
 * over this; blob-upload.ts sends through it too.
 */
import { WharfError } from "../../errors.ts";
import { type Challenge, findChallenge, parseChallenges } from "./challenge.ts";
import type { CredentialStore, Credentials } from "./credentials.ts";
import type { RequestBody } from "./http.ts";
import { responseError } from "./registry-errors.ts";
import { basicAuthorization, TokenProvider } from "./token.ts";
import { type HttpMethod, type HttpResponse, headerValue, type Transport } from "./transport.ts";

export interface PingResult {
  /** 200 (no auth needed) or 401 (challenges say how to authenticate). */
  readonly status: number;
  readonly challenges: readonly Challenge[];
  /** The `Docker-Distribution-API-Version` header, e.g. "registry/2.0". */
  readonly apiVersion?: string;
}

export interface RegistrySessionOptions {
  /** Ask token servers for a refresh token too (docker login's offline_token=true). */
  offlineToken?: boolean;
  /** A Basic challenge without credentials fails before the request (docker's auth transport). */
  requireBasicCredentials?: boolean;
}

/** One authenticated request: what RegistrySession.send takes. */
export type SendRequest = RegistrySession["send"];

export class RegistrySession {
  readonly transport: Transport;
  /** The registry's API host[:port]. */
  readonly host: string;
  /** The reference domain credentials are looked up by. */
  readonly domain: string;
  readonly #tokens: TokenProvider;
  readonly #store: CredentialStore;
  readonly #requireBasicCredentials: boolean;
  #credentials: Promise<Credentials | undefined> | undefined;
  #challenges: Promise<readonly Challenge[]> | undefined;

  constructor(
    transport: Transport,
    names: { host: string; domain: string },
    store: CredentialStore,
    options: RegistrySessionOptions = {},
  ) {
    this.transport = transport;
    this.host = names.host;
    this.domain = names.domain;
    this.#store = store;
    this.#tokens = new TokenProvider(transport, { offline: options.offlineToken === true });
    this.#requireBasicCredentials = options.requireBasicCredentials === true;
  }

  /** The refresh token the token server gave last (with offlineToken): docker's identity token. */
  get lastRefreshToken(): string | undefined {
    return this.#tokens.lastRefreshToken;
  }

  /** The credentials for this registry (looked up once). */
  credentials(): Promise<Credentials | undefined> {
    this.#credentials ??= this.#store.get(this.domain).catch((err: unknown) => {
      this.#credentials = undefined;
      throw err;
    });
    return this.#credentials;
  }

  /** GET /v2/: is this a distribution registry, and how does it want to be authenticated? */
  async ping(opts: { signal?: AbortSignal } = {}): Promise<PingResult> {
    const res = await this.transport.request({ method: "GET", url: "/v2/", signal: opts.signal });
    if (res.status !== 200 && res.status !== 401) throw await responseError(res, "registry");
    await res.body.dump();
    const challenges = parseChallenges(res.headers["www-authenticate"]);
    this.#challenges = Promise.resolve(challenges);
    const apiVersion = headerValue(res.headers, "docker-distribution-api-version");
    return apiVersion === undefined
      ? { status: res.status, challenges }
      : { status: res.status, challenges, apiVersion };
  }

  #authChallenges(signal?: AbortSignal): Promise<readonly Challenge[]> {
    this.#challenges ??= this.ping({ signal }).then(
      (p) => p.challenges,
      (err: unknown) => {
        this.#challenges = undefined;
        throw err;
      },
    );
    return this.#challenges;
  }

  /** The Authorization header for a request with these scopes, and whether a cached token was used. */
  async #authorization(
    scopes: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<{ header?: string; cachedToken?: Challenge }> {
    const challenges = await this.#authChallenges(signal);
    const bearer = findChallenge(challenges, "bearer");
    if (bearer !== undefined) {
      const creds = await this.credentials();
      const t = await this.#tokens.get(bearer, scopes, creds, signal);
      return t.fresh ? { header: `Bearer ${t.token}` } : { header: `Bearer ${t.token}`, cachedToken: bearer };
    }
    if (findChallenge(challenges, "basic") !== undefined) {
      const creds = await this.credentials();
      if (creds !== undefined && creds.username !== "") return { header: basicAuthorization(creds) };
      if (this.#requireBasicCredentials) {
        throw new WharfError("REGISTRY_UNAUTHORIZED", "no basic auth credentials", { host: this.host });
      }
    }
    return {};
  }

  /**
   * A failure to authorize a request (a token refused, no Basic credentials) as Go's http.Client
   * reports an error of its auth transport: the request's method and URL first
   * (`Get "https://host/v2/": unauthorized: ...`). The registry's error entries are left out: the
   * request itself got no answer. Errors that already name a request (the ping's) stay as they are.
   */
  async #authTransportError(
    err: unknown,
    request: { method: HttpMethod; path: string },
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (!(err instanceof WharfError) || /^[A-Z][a-z]+ "/.test(err.message)) return err;
    const url = request.path.startsWith("/")
      ? await this.transport.url(request.path, signal)
      : new URL(request.path);
    const verb = request.method.charAt(0) + request.method.slice(1).toLowerCase();
    return new WharfError(
      err.code,
      `${verb} "${url.href}": ${err.message}`,
      { host: this.host, url: url.href, authTransport: true },
      { cause: err },
    );
  }

  /**
   * An authenticated request to the registry. A 401 is retried once when a cached token was refused,
   * when the challenge asks for more scopes, or when no challenge was known before. `path` may be an
   * absolute URL (an upload's Location): credentials go only to the registry's own origin.
   */
  async send(
    method: HttpMethod,
    path: string,
    scopes: readonly string[],
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    extra: { body?: RequestBody; retry?: boolean } = {},
  ): Promise<HttpResponse> {
    let wanted = [...scopes];
    const foreign = !path.startsWith("/") && new URL(path).host !== this.host;
    for (let attempt = 0; ; attempt += 1) {
      const known = (await this.#authChallenges(signal)).length > 0;
      let auth: { header?: string; cachedToken?: Challenge } = {};
      try {
        if (!foreign) auth = await this.#authorization(wanted, signal);
      } catch (err) {
        throw await this.#authTransportError(err, { method, path }, signal);
      }
      const h = auth.header === undefined ? headers : { ...headers, authorization: auth.header };
      const res = await this.transport.request({
        method,
        url: path,
        headers: h,
        signal,
        ...(extra.body === undefined ? {} : { body: extra.body }),
        ...(extra.retry === undefined ? {} : { retry: extra.retry }),
      });
      if (res.status !== 401 || attempt > 0 || foreign) return res;
      const challenges = parseChallenges(res.headers["www-authenticate"]);
      const bearer = findChallenge(challenges, "bearer");
      const more = bearer?.params.scope?.split(" ").filter((s) => s !== "" && !wanted.includes(s)) ?? [];
      let retry = false;
      if (!known && challenges.length > 0) {
        this.#challenges = Promise.resolve(challenges);
        retry = true;
      } else if (bearer !== undefined && more.length > 0) {
        wanted = [...wanted, ...more];
        retry = true;
      } else if (auth.cachedToken !== undefined) {
        this.#tokens.invalidate(auth.cachedToken, wanted, await this.credentials());
        retry = true;
      }
      if (!retry) return res;
      await res.body.dump();
    }
  }
}
