/**
 * Who is asking, and may they? Three modes, chosen in the config:
 * - none: everyone may do everything;
 * - htpasswd: HTTP Basic against a bcrypt htpasswd file;
 * - token: Bearer JWTs (HS256) from the built-in token endpoint (/token), which authenticates
 *   against the htpasswd file and grants only what the access rules allow. Asked with
 *   `offline_token=true` (GET) or `access_type=offline` (POST), it also returns a refresh token
 *   (docker login keeps it as the identity token) that the OAuth2 `grant_type=refresh_token` POST
 *   takes instead of a password.
 * Access rules decide per account and repository; a wrong or missing credential is 401 with the
 * mode's challenge, a known account without the right is 403 DENIED.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import bcrypt from "bcryptjs";
import { jwtVerify, SignJWT } from "jose";
import { WharfError } from "../../errors.ts";
import type { AccessRuleConfig, ServeConfig } from "./config.ts";
import { DistributionError } from "./errors.ts";

export type Action = "pull" | "push" | "delete";

/** What a request needs: actions on a repository, the catalog, or (GET /v2/) just to be let in. */
export type Need = { repository: string; actions: Action[] } | { catalog: true } | { base: true };

export const ANONYMOUS = "anonymous";

/** One granted scope, as distribution's tokens carry it. */
interface Grant {
  type: string;
  name: string;
  actions: string[];
}

/** Repository globs: "*" within one path component, "**" across components. */
function globRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      out += ".*";
      i++;
    } else if (c === "*") out += "[^/]*";
    else out += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

export class AccessRules {
  readonly #rules: { account: string; repository: RegExp; actions: Set<Action> }[] | undefined;
  readonly anonymousPull: boolean;

  constructor(rules: AccessRuleConfig[] | undefined, anonymousPull: boolean) {
    this.#rules = rules?.map((r) => ({
      account: r.account,
      repository: globRegExp(r.repository),
      actions: new Set(r.actions),
    }));
    this.anonymousPull = anonymousPull;
  }

  /** The actions of `wanted` that `account` may do on `repository`. */
  allowed(account: string, repository: string, wanted: readonly Action[]): Action[] {
    const anonymous = account === ANONYMOUS;
    const granted = new Set<Action>();
    if (anonymous && this.anonymousPull) granted.add("pull");
    if (this.#rules === undefined) {
      if (!anonymous) for (const a of wanted) granted.add(a);
    } else {
      for (const rule of this.#rules) {
        const matches = rule.account === account || (rule.account === "*" && !anonymous);
        if (matches && rule.repository.test(repository)) for (const a of rule.actions) granted.add(a);
      }
    }
    return wanted.filter((a) => granted.has(a));
  }
}

/** bcrypt htpasswd users; a verified password is remembered (bcrypt costs ~50-100 ms a check). */
export class Htpasswd {
  readonly #users = new Map<string, string>();
  readonly #verified = new Map<string, Buffer>();

  constructor(path: string) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new WharfError(
        "SERVER_CONFIG_INVALID",
        `cannot read htpasswd file ${path}: ${(err as Error).message}`,
      );
    }
    for (const [n, line] of text.split("\n").entries()) {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      const colon = trimmed.indexOf(":");
      const hash = trimmed.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$/.test(hash)) {
        throw new WharfError(
          "SERVER_CONFIG_INVALID",
          `${path}:${n + 1}: not a bcrypt htpasswd entry (htpasswd -B)`,
        );
      }
      this.#users.set(trimmed.slice(0, colon), hash);
    }
  }

  has(user: string): boolean {
    return this.#users.has(user);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.#users.get(user);
    if (hash === undefined) return false;
    const fingerprint = createHash("sha256").update(`${hash}\0${password}`).digest();
    const known = this.#verified.get(user);
    if (known && timingSafeEqual(known, fingerprint)) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    this.#verified.set(user, fingerprint);
    return true;
  }
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString();
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function scopeOf(need: Need): string | undefined {
  if ("base" in need) return undefined;
  return "catalog" in need ? "registry:catalog:*" : `repository:${need.repository}:${need.actions.join(",")}`;
}

export interface Authorizer {
  readonly mode: "none" | "htpasswd" | "token";
  /** Resolves when the request may go on; throws UNAUTHORIZED (with `challenge`) or DENIED. */
  authorize(authorization: string | undefined, need: Need, host: string): Promise<void>;
  /** The catalog entries `authorization` may see. */
  visible(authorization: string | undefined, repositories: string[]): Promise<string[]>;
}

export class AuthError extends DistributionError {
  readonly challenge: string | undefined;
  constructor(code: "UNAUTHORIZED" | "DENIED", message: string, challenge?: string) {
    super(code, message);
    this.challenge = challenge;
  }
}

class OpenAccess implements Authorizer {
  readonly mode = "none" as const;
  async authorize(): Promise<void> {}
  async visible(_: string | undefined, repositories: string[]): Promise<string[]> {
    return repositories;
  }
}

class BasicAccess implements Authorizer {
  readonly mode = "htpasswd" as const;
  readonly #users: Htpasswd;
  readonly #rules: AccessRules;
  readonly #realm: string;

  constructor(users: Htpasswd, rules: AccessRules, realm: string) {
    this.#users = users;
    this.#rules = rules;
    this.#realm = realm;
  }

  async #account(authorization: string | undefined): Promise<string> {
    const credentials = basicCredentials(authorization);
    if (!credentials) return ANONYMOUS;
    if (await this.#users.verify(credentials.user, credentials.password)) return credentials.user;
    throw new AuthError("UNAUTHORIZED", "invalid username or password", `Basic realm="${this.#realm}"`);
  }

  async authorize(authorization: string | undefined, need: Need): Promise<void> {
    const account = await this.#account(authorization);
    const challenge = () =>
      new AuthError("UNAUTHORIZED", "authentication required", `Basic realm="${this.#realm}"`);
    if ("base" in need || "catalog" in need) {
      // Let in: any account; anonymous clients only where they may pull.
      if (account !== ANONYMOUS || this.#rules.anonymousPull) return;
      throw challenge();
    }
    if (this.#rules.allowed(account, need.repository, need.actions).length === need.actions.length) return;
    if (account === ANONYMOUS) throw challenge();
    throw new DistributionError("DENIED", `requested access to the resource is denied: ${scopeOf(need)}`);
  }

  async visible(authorization: string | undefined, repositories: string[]): Promise<string[]> {
    const account = await this.#account(authorization);
    return repositories.filter((r) => this.#rules.allowed(account, r, ["pull"]).length === 1);
  }
}

export class TokenAccess implements Authorizer {
  readonly mode = "token" as const;
  readonly #users: Htpasswd | undefined;
  readonly #rules: AccessRules;
  readonly #secret: Uint8Array;
  readonly #service: string;
  readonly #issuer: string;
  readonly #realm: string | undefined;
  readonly #expiration: number;
  readonly #refreshExpiration: number;

  constructor(
    config: NonNullable<NonNullable<ServeConfig["auth"]>["token"]>,
    users: Htpasswd | undefined,
    rules: AccessRules,
  ) {
    this.#users = users;
    this.#rules = rules;
    this.#secret = config.secret ? Buffer.from(config.secret) : randomBytes(32);
    this.#service = config.service;
    this.#issuer = config.issuer;
    this.#realm = config.realm;
    this.#expiration = config.expiration;
    this.#refreshExpiration = config.refreshexpiration;
  }

  /** Refresh tokens have an audience of their own, so one is never taken for an access token. */
  get #refreshAudience(): string {
    return `refresh:${this.#service}`;
  }

  /** The account a refresh token was issued to, while it is valid and the account still exists. */
  async #refreshAccount(token: string): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, {
        issuer: this.#issuer,
        audience: this.#refreshAudience,
        algorithms: ["HS256"],
      });
      if (typeof payload.sub === "string" && this.#users?.has(payload.sub)) return payload.sub;
    } catch {
      // an invalid token is refused below, like an unknown account
    }
    throw new AuthError("UNAUTHORIZED", "invalid refresh token", 'Basic realm="wharf token"');
  }

  #sign(claims: Record<string, unknown>, subject: string, audience: string, lifetime: number) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(this.#issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + lifetime)
      .setJti(randomBytes(12).toString("hex"))
      .sign(this.#secret);
  }

  #challenge(host: string, need: Need, error?: string): string {
    const realm = this.#realm ?? `http://${host}/token`;
    const scope = scopeOf(need);
    const parts = [`realm="${realm}"`, `service="${this.#service}"`];
    if (scope !== undefined) parts.push(`scope="${scope}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(",")}`;
  }

  async #claims(authorization: string | undefined): Promise<{ sub: string; access: Grant[] } | undefined> {
    if (!authorization?.toLowerCase().startsWith("bearer ")) return undefined;
    try {
      const { payload } = await jwtVerify(authorization.slice(7).trim(), this.#secret, {
        issuer: this.#issuer,
        audience: this.#service,
        algorithms: ["HS256"],
      });
      return { sub: String(payload.sub ?? ANONYMOUS), access: (payload.access as Grant[] | undefined) ?? [] };
    } catch {
      return undefined;
    }
  }

  async authorize(authorization: string | undefined, need: Need, host: string): Promise<void> {
    const claims = await this.#claims(authorization);
    if (!claims) {
      const error = authorization ? "invalid_token" : undefined;
      throw new AuthError("UNAUTHORIZED", "authentication required", this.#challenge(host, need, error));
    }
    const granted = (type: string, name: string, action: string) =>
      claims.access.some(
        (g) => g.type === type && g.name === name && (g.actions.includes(action) || g.actions.includes("*")),
      );
    const ok =
      "base" in need ||
      ("catalog" in need
        ? granted("registry", "catalog", "*")
        : need.actions.every((a) => granted("repository", need.repository, a)));
    if (ok) return;
    if (claims.sub === ANONYMOUS) {
      throw new AuthError(
        "UNAUTHORIZED",
        "authentication required",
        this.#challenge(host, need, "insufficient_scope"),
      );
    }
    throw new DistributionError("DENIED", `requested access to the resource is denied: ${scopeOf(need)}`);
  }

  async visible(authorization: string | undefined, repositories: string[]): Promise<string[]> {
    const claims = await this.#claims(authorization);
    const account = claims?.sub ?? ANONYMOUS;
    return repositories.filter((r) => this.#rules.allowed(account, r, ["pull"]).length === 1);
  }

  /**
   * The token endpoint: authenticates (Basic, a password grant, or a refresh-token grant), then
   * grants each requested scope as far as the rules allow; an authenticated client that asks for
   * offline access also gets a refresh token. Returns the JSON body, or throws UNAUTHORIZED.
   */
  async issue(authorization: string | undefined, form: URLSearchParams): Promise<string> {
    let account = ANONYMOUS;
    if (form.get("grant_type") === "refresh_token") {
      account = await this.#refreshAccount(form.get("refresh_token") ?? "");
    } else {
      const basic = basicCredentials(authorization);
      const user = basic?.user ?? form.get("username") ?? undefined;
      const password = basic?.password ?? form.get("password") ?? undefined;
      if (user !== undefined && password !== undefined) {
        if (!(await this.#users?.verify(user, password))) {
          throw new AuthError("UNAUTHORIZED", "invalid username or password", 'Basic realm="wharf token"');
        }
        account = user;
      }
    }
    const access: Grant[] = [];
    for (const scope of form.getAll("scope").flatMap((s) => s.split(" "))) {
      const [type, ...rest] = scope.split(":");
      const actions = rest.pop() ?? "";
      const name = rest.join(":");
      if (type === "repository") {
        const wanted = actions
          .split(",")
          .filter((a): a is Action => a === "pull" || a === "push" || a === "delete");
        const allowed = this.#rules.allowed(account, name, wanted);
        if (allowed.length > 0) access.push({ type, name, actions: allowed });
      } else if (type === "registry" && name === "catalog" && account !== ANONYMOUS) {
        access.push({ type, name, actions: ["*"] });
      }
    }
    const token = await this.#sign({ access }, account, this.#service, this.#expiration);
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: this.#expiration,
      issued_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
    };
    const offline = form.get("offline_token") === "true" || form.get("access_type") === "offline";
    if (offline && account !== ANONYMOUS) {
      body.refresh_token = await this.#sign({}, account, this.#refreshAudience, this.#refreshExpiration);
    }
    return JSON.stringify(body);
  }
}

export function openAccess(): Authorizer {
  return new OpenAccess();
}

export function createAuthorizer(config: ServeConfig): Authorizer {
  const auth = config.auth;
  const rules = new AccessRules(config.access, auth?.anonymouspull ?? false);
  const users = auth?.htpasswd ? new Htpasswd(auth.htpasswd.path) : undefined;
  if (auth?.token) return new TokenAccess(auth.token, users, rules);
  if (auth?.htpasswd && users) return new BasicAccess(users, rules, auth.htpasswd.realm);
  return new OpenAccess();
}
