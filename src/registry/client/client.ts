/**
 * The distribution API of one registry host: ping, manifests by tag or digest (bytes kept exactly,
 * digest computed and checked), blobs with ranged resume, manifest PUT, mounts, tag lists, uploads
 * (blob-upload.ts) and docker login's check. Authentication is registry-session.ts's: learned from
 * the `/v2/` challenge (once) and applied to every request.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { WharfError } from "../../errors.ts";
import { type Digest, digestAlgorithm, digestBytes, digestError, isDigest } from "../../oci/digest.ts";
import { resolveDocumentMediaType, schema1Error } from "../../oci/document-mediatype.ts";
import {
  DockerMediaType,
  type IndexMediaType,
  isSchema1MediaType,
  type ManifestMediaType,
  normalizeMediaType,
  OciMediaType,
} from "../../oci/mediatype.ts";
import { REFERENCE_REGEXPS } from "../../oci/reference.ts";
import { cancelUpload, pushScope, type UploadOptions, uploadBlob } from "./blob-upload.ts";
import {
  type CredentialStore,
  type Credentials,
  DockerCredentialStore,
  staticCredentials,
} from "./credentials.ts";
import { apiHostFor } from "./hosts.ts";
import { loadRegistriesConfig, type RegistriesConfig } from "./registries-config.ts";
import { responseError, type Subject, statusLine } from "./registry-errors.ts";
import { type PingResult, RegistrySession } from "./registry-session.ts";
import { repositoryScope } from "./token.ts";
import {
  type HttpResponse,
  headerValue,
  networkError,
  Transport,
  type TransportOptions,
} from "./transport.ts";
import type { UploadContent } from "./upload-body.ts";

export { MONOLITHIC_UPLOAD_LIMIT, UPLOAD_CHUNK_SIZE, type UploadOptions } from "./blob-upload.ts";
export type { PingResult } from "./registry-session.ts";

/** Manifests larger than this are refused (containerd and distribution use 4 MiB too). */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

/**
 * The Accept list of a manifest request: the four types wharf reads, then schema 1 only so that a
 * registry holding nothing else answers with it and the refusal can say why.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  OciMediaType.ImageManifest,
  OciMediaType.ImageIndex,
  DockerMediaType.Manifest,
  DockerMediaType.ManifestList,
  DockerMediaType.Schema1SignedManifest,
  DockerMediaType.Schema1Manifest,
];

export interface RegistryClientOptions extends TransportOptions {
  /** Where credentials come from: a store, fixed credentials, or none (anonymous). */
  credentials?: CredentialStore | Credentials;
  /** Ask token servers for a refresh token too (docker login's offline_token=true). */
  offlineToken?: boolean;
  /**
   * docker's auth transport: with a Basic challenge and no credentials, a request fails before it is
   * sent (`Get "URL": no basic auth credentials`) instead of going out anonymously.
   */
  requireBasicCredentials?: boolean;
}

export interface ManifestResult {
  /** Exactly the bytes the registry sent. */
  readonly bytes: Uint8Array;
  readonly mediaType: ManifestMediaType | IndexMediaType;
  /** Of `bytes`: the requested digest when pulling by digest, else sha256. */
  readonly digest: Digest;
}

export interface ManifestHead {
  readonly mediaType: string;
  /** From Docker-Content-Digest; registries may omit it. */
  readonly digest?: Digest;
  readonly size?: number;
}

export interface BlobResult {
  /** The blob's bytes from `offset` on. Errors are WharfErrors (REGISTRY_TIMEOUT, REGISTRY_UNAVAILABLE). */
  readonly stream: Readable;
  /** Where the stream starts: the requested offset, or 0 when the registry ignored the Range. */
  readonly offset: number;
  /** The blob's total size, when the registry said it. */
  readonly size?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

function isCredentialStore(value: CredentialStore | Credentials): value is CredentialStore {
  return typeof (value as CredentialStore).get === "function";
}

/** A tag or a digest, checked before it goes into a URL. */
function checkReference(reference: string): void {
  if (isDigest(reference)) return;
  if (reference.includes(":")) {
    const err = digestError(reference);
    if (err) throw err;
  }
  if (!REFERENCE_REGEXPS.anchoredTag.test(reference)) {
    throw new WharfError("REFERENCE_TAG_INVALID", "invalid tag format", {
      input: reference,
      part: reference,
    });
  }
}

function checkRepository(repository: string): void {
  if (!REFERENCE_REGEXPS.anchoredName.test(repository) || repository.includes("//")) {
    throw new WharfError("REFERENCE_INVALID_FORMAT", "invalid reference format", {
      input: repository,
      part: repository,
    });
  }
}

function contentLength(res: HttpResponse): number | undefined {
  const v = headerValue(res.headers, "content-length");
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Reads a manifest body, refusing more than `limit` bytes (by Content-Length or as it arrives). */
async function readCapped(res: HttpResponse, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = (size: number | string) =>
    new WharfError(
      "REGISTRY_MANIFEST_TOO_LARGE",
      `${what} is too large: ${size} bytes exceeds the ${limit / (1024 * 1024)} MiB limit for manifests`,
      { limit, host: res.url.host },
    );
  const declared = contentLength(res);
  if (declared !== undefined && declared > limit) {
    res.body.destroy();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > limit) {
      res.body.destroy();
      throw tooLarge(`more than ${limit}`);
    }
    chunks.push(buf);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** `bytes START-END/TOTAL` (TOTAL may be "*"). */
function parseContentRange(value: string | undefined): { start: number; total?: number } | undefined {
  const m = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (m === null) return undefined;
  return m[3] === "*" ? { start: Number(m[1]) } : { start: Number(m[1]), total: Number(m[3]) };
}

/** The distribution API client for one registry host. Call close() when done. */
export class RegistryClient {
  /** The registry's API host[:port] (registry-1.docker.io for docker.io). */
  readonly host: string;
  /** The reference domain credentials are looked up by (docker.io, host:port). */
  readonly domain: string;
  readonly transport: Transport;
  readonly #session: RegistrySession;

  constructor(host: string, options: RegistryClientOptions & { domain?: string } = {}) {
    this.host = host;
    this.domain = options.domain ?? host;
    this.transport = new Transport(host, options);
    const creds = options.credentials;
    const store =
      creds === undefined
        ? staticCredentials(undefined)
        : isCredentialStore(creds)
          ? creds
          : staticCredentials(creds);
    this.#session = new RegistrySession(this.transport, { host, domain: this.domain }, store, {
      ...(options.offlineToken === undefined ? {} : { offlineToken: options.offlineToken }),
      ...(options.requireBasicCredentials === undefined
        ? {}
        : { requireBasicCredentials: options.requireBasicCredentials }),
    });
  }

  /** The credentials for this registry (looked up once). */
  credentials(): Promise<Credentials | undefined> {
    return this.#session.credentials();
  }

  /** GET /v2/: is this a distribution registry, and how does it want to be authenticated? */
  ping(opts: RequestOptions = {}): Promise<PingResult> {
    return this.#session.ping(opts);
  }

  /**
   * docker login's check: GET /v2/ with the client's credentials, through the registry's challenge
   * (Basic, or a Bearer token asked for with no scope). Throws REGISTRY_UNAUTHORIZED and the like.
   * Returns the refresh token the token server gave (with `offlineToken`): docker's identity token.
   */
  async checkLogin(opts: RequestOptions = {}): Promise<{ identityToken?: string }> {
    // Worded as moby's loginV2: any answer but 200 is a "login attempt ... failed".
    const res = await this.#session.send("GET", "/v2/", [], {}, opts.signal);
    await res.body.dump();
    if (res.status !== 200) {
      throw new WharfError(
        res.status === 401
          ? "REGISTRY_UNAUTHORIZED"
          : res.status === 403
            ? "REGISTRY_DENIED"
            : "REGISTRY_ERROR",
        `login attempt to ${res.url.href} failed with status: ${statusLine(res.status)}`,
        { status: res.status, host: this.host, url: res.url.href },
      );
    }
    const identityToken = this.#session.lastRefreshToken;
    return identityToken === undefined ? {} : { identityToken };
  }

  /**
   * Uploads a blob (see blob-upload.ts): one PUT up to MONOLITHIC_UPLOAD_LIMIT, else resumable
   * PATCH chunks. The registry verifies the digest and size when the upload is completed.
   */
  uploadBlob(
    repository: string,
    blob: { digest: Digest; size: number },
    content: UploadContent,
    opts: UploadOptions = {},
  ): Promise<void> {
    checkRepository(repository);
    const err = digestError(blob.digest);
    if (err) throw err;
    if (!Number.isSafeInteger(blob.size) || blob.size < 0)
      throw new RangeError(`invalid blob size: ${blob.size}`);
    return uploadBlob(this.#session.send.bind(this.#session), repository, blob, content, opts);
  }

  /**
   * GET a manifest or index by tag or digest. The digest is computed from the bytes and checked
   * against Docker-Content-Digest and (by digest) the requested one; bodies over 4 MiB are refused;
   * schema 1 is refused with MANIFEST_SCHEMA1.
   */
  async getManifest(
    repository: string,
    reference: string,
    opts: RequestOptions = {},
  ): Promise<ManifestResult> {
    checkRepository(repository);
    checkReference(reference);
    const res = await this.#session.send(
      "GET",
      `/v2/${repository}/manifests/${reference}`,
      [repositoryScope(repository)],
      { accept: MANIFEST_ACCEPT.join(", ") },
      opts.signal,
    );
    if (res.status !== 200) throw await responseError(res, "manifest");
    const contentType = headerValue(res.headers, "content-type");
    const declared = contentType === undefined ? undefined : normalizeMediaType(contentType);
    if (declared !== undefined && isSchema1MediaType(declared)) {
      await res.body.dump();
      throw schema1Error(declared);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(res, MANIFEST_SIZE_LIMIT, `manifest ${repository}:${reference}`);
    } catch (err) {
      throw networkError(err, "GET", res.url, this.transport.timeouts);
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
    } catch {
      json = undefined;
    }
    const doc =
      typeof json === "object" && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>)
        : undefined;
    if (doc?.schemaVersion === 1) throw schema1Error(declared);

    const digest = this.#checkManifestDigest(bytes, res, reference);
    if (doc === undefined) {
      throw new WharfError("MANIFEST_INVALID", "manifest invalid: not a JSON object", { digest });
    }
    const mediaType = resolveDocumentMediaType(doc, declared);
    return { bytes, mediaType, digest };
  }

  #checkManifestDigest(bytes: Uint8Array, res: HttpResponse, reference: string): Digest {
    const header = headerValue(res.headers, "docker-content-digest");
    if (header !== undefined && header !== "") {
      const err = digestError(header);
      if (err !== undefined) {
        throw new WharfError(
          "REGISTRY_PROTOCOL",
          `invalid Docker-Content-Digest from ${res.url.host}: ${header}: ${err.message}`,
          { header },
          { cause: err },
        );
      }
      const actual = digestBytes(bytes, digestAlgorithm(header as Digest));
      if (actual !== header) {
        throw new WharfError(
          "DIGEST_MISMATCH",
          `manifest digest mismatch: the registry says ${header}, the content is ${actual}`,
          { expected: header, actual },
        );
      }
    }
    if (isDigest(reference)) {
      const actual = digestBytes(bytes, digestAlgorithm(reference));
      if (actual !== reference) {
        throw new WharfError(
          "DIGEST_MISMATCH",
          `manifest digest mismatch: requested ${reference}, the content is ${actual}`,
          { expected: reference, actual },
        );
      }
      return reference;
    }
    return digestBytes(bytes);
  }

  /** HEAD a manifest: its media type, digest (if the registry sends it) and size, without the body. */
  async headManifest(
    repository: string,
    reference: string,
    opts: RequestOptions = {},
  ): Promise<ManifestHead> {
    checkRepository(repository);
    checkReference(reference);
    const res = await this.#session.send(
      "HEAD",
      `/v2/${repository}/manifests/${reference}`,
      [repositoryScope(repository)],
      { accept: MANIFEST_ACCEPT.join(", ") },
      opts.signal,
    );
    if (res.status !== 200) throw await responseError(res, "manifest");
    await res.body.dump();
    const mediaType = normalizeMediaType(headerValue(res.headers, "content-type") ?? "");
    if (isSchema1MediaType(mediaType)) throw schema1Error(mediaType);
    const header = headerValue(res.headers, "docker-content-digest");
    const digest = header !== undefined && isDigest(header) ? header : undefined;
    const size = contentLength(res);
    const out: { mediaType: string; digest?: Digest; size?: number } = { mediaType };
    if (digest !== undefined) out.digest = digest;
    if (size !== undefined) out.size = size;
    return out;
  }

  /**
   * GET a blob, from `offset` on with a Range request. When the registry ignores the Range (200),
   * the stream starts at 0 and `offset` says so. Content is not verified here (the caller hashes it).
   */
  async getBlob(
    repository: string,
    digest: Digest,
    opts: RequestOptions & { offset?: number } = {},
  ): Promise<BlobResult> {
    checkRepository(repository);
    const err = digestError(digest);
    if (err) throw err;
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`invalid blob offset: ${offset}`);
    }
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.#session.send(
      "GET",
      `/v2/${repository}/blobs/${digest}`,
      [repositoryScope(repository)],
      headers,
      opts.signal,
    );
    return this.#blobResult(res, digest, offset);
  }

  /**
   * GET a non-distributable ("foreign") layer from one of its descriptor's `urls`, as Docker does when
   * the registry does not serve it. No credentials go with it; plain HTTP only for hosts allowed it.
   */
  async getForeignBlob(
    url: string,
    digest: Digest,
    opts: RequestOptions & { offset?: number } = {},
  ): Promise<BlobResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new WharfError("REGISTRY_PROTOCOL", `invalid layer URL: ${JSON.stringify(url)}`, { url });
    }
    if (target.protocol !== "https:" && target.protocol !== "http:") {
      throw new WharfError("REGISTRY_PROTOCOL", `unsupported layer URL scheme: ${target.href}`, { url });
    }
    if (target.protocol === "http:" && !this.transport.allowsPlainHttp(target.host)) {
      throw new WharfError(
        "REGISTRY_INSECURE_REFUSED",
        `refusing plain HTTP for layer URL ${target.href} (${target.host} is not an insecure registry)`,
        { url },
      );
    }
    const offset = opts.offset ?? 0;
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.transport.request({
      method: "GET",
      url: target,
      headers,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    return this.#blobResult(res, digest, offset);
  }

  /** A blob response: the whole blob (200), or the rest of it from `offset` (206). */
  async #blobResult(res: HttpResponse, digest: Digest, offset: number): Promise<BlobResult> {
    if (res.status === 200) {
      const size = contentLength(res);
      return { stream: this.#wrapBody(res), offset: 0, ...(size === undefined ? {} : { size }) };
    }
    if (res.status === 206) {
      const range = parseContentRange(headerValue(res.headers, "content-range"));
      if (range === undefined || range.start !== offset) {
        res.body.destroy();
        throw new WharfError(
          "REGISTRY_PROTOCOL",
          `${res.url.host} answered a range request for ${digest} from byte ${offset} with ` +
            `Content-Range ${JSON.stringify(headerValue(res.headers, "content-range") ?? "")}`,
          { digest, offset },
        );
      }
      return {
        stream: this.#wrapBody(res),
        offset,
        ...(range.total === undefined ? {} : { size: range.total }),
      };
    }
    throw await responseError(res, "blob");
  }

  /** HEAD a blob: true when the registry has it in this repository, false on 404. */
  async blobExists(repository: string, digest: Digest, opts: RequestOptions = {}): Promise<boolean> {
    checkRepository(repository);
    const err = digestError(digest);
    if (err) throw err;
    const res = await this.#session.send(
      "HEAD",
      `/v2/${repository}/blobs/${digest}`,
      [repositoryScope(repository)],
      {},
      opts.signal,
    );
    if (res.status === 200) {
      await res.body.dump();
      return true;
    }
    if (res.status === 404) {
      await res.body.dump();
      return false;
    }
    throw await responseError(res, "blob" satisfies Subject);
  }

  /**
   * PUT a manifest or index by tag or digest, byte for byte. Returns its digest: the registry's
   * Docker-Content-Digest, checked against the bytes (a registry that stored other bytes is an error).
   */
  async putManifest(
    repository: string,
    reference: string,
    manifest: { bytes: Uint8Array; mediaType: string },
    opts: RequestOptions = {},
  ): Promise<Digest> {
    return (await this.putManifestReporting(repository, reference, manifest, opts)).digest;
  }

  /**
   * putManifest, also telling whether the registry answered with `OCI-Subject` (a manifest with a
   * `subject` that the registry's referrers API lists by itself, distribution-spec 1.1).
   */
  async putManifestReporting(
    repository: string,
    reference: string,
    manifest: { bytes: Uint8Array; mediaType: string },
    opts: RequestOptions = {},
  ): Promise<{ digest: Digest; subjectListed: boolean }> {
    checkRepository(repository);
    checkReference(reference);
    if (manifest.bytes.byteLength > MANIFEST_SIZE_LIMIT) {
      throw new WharfError(
        "REGISTRY_MANIFEST_TOO_LARGE",
        `manifest is too large: ${manifest.bytes.byteLength} bytes exceeds the ${MANIFEST_SIZE_LIMIT / (1024 * 1024)} MiB limit for manifests`,
        { limit: MANIFEST_SIZE_LIMIT },
      );
    }
    const res = await this.#session.send(
      "PUT",
      `/v2/${repository}/manifests/${reference}`,
      [pushScope(repository)],
      { "content-type": manifest.mediaType },
      opts.signal,
      { body: manifest.bytes },
    );
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
      throw await responseError(res, "manifest");
    }
    await res.body.dump();
    const header = headerValue(res.headers, "docker-content-digest");
    const algorithm = header !== undefined && isDigest(header) ? digestAlgorithm(header) : undefined;
    const actual = digestBytes(manifest.bytes, algorithm);
    if (header !== undefined && header !== "" && header !== actual) {
      throw new WharfError(
        "DIGEST_MISMATCH",
        `manifest digest mismatch: the registry says ${header}, the content pushed is ${actual}`,
        { expected: actual, actual: header },
      );
    }
    return { digest: actual, subjectListed: (headerValue(res.headers, "oci-subject") ?? "") !== "" };
  }

  /**
   * Cross-repository mount (POST ?mount=DIGEST&from=REPO): true when the registry linked the blob
   * (201). A registry that cannot mount opens an upload session instead (202): it is cancelled and
   * the answer is false. Needs push+pull on the target and pull on the source.
   */
  async mountBlob(
    repository: string,
    digest: Digest,
    fromRepository: string,
    opts: RequestOptions = {},
  ): Promise<boolean> {
    checkRepository(repository);
    checkRepository(fromRepository);
    const err = digestError(digest);
    if (err) throw err;
    const query = new URLSearchParams({ mount: digest, from: fromRepository });
    const res = await this.#session.send(
      "POST",
      `/v2/${repository}/blobs/uploads/?${query}`,
      [pushScope(repository), repositoryScope(fromRepository)],
      { "content-length": "0" },
      opts.signal,
    );
    if (res.status === 201) {
      await res.body.dump();
      return true;
    }
    if (res.status === 202) {
      await res.body.dump();
      const location = headerValue(res.headers, "location");
      if (location !== undefined)
        await cancelUpload(this.#session.send.bind(this.#session), new URL(location, res.url), repository);
      return false;
    }
    throw await responseError(res, "blob");
  }

  /**
   * The repository's tags (GET /v2/NAME/tags/list), following `Link: <...>; rel="next"` pages.
   * An unknown repository is REGISTRY_NOT_FOUND ("name unknown: ...").
   */
  async listTags(repository: string, opts: RequestOptions & { pageSize?: number } = {}): Promise<string[]> {
    checkRepository(repository);
    const tags: string[] = [];
    let path = `/v2/${repository}/tags/list${opts.pageSize === undefined ? "" : `?n=${opts.pageSize}`}`;
    for (let page = 0; page < 10_000; page += 1) {
      const res = await this.#session.send("GET", path, [repositoryScope(repository)], {}, opts.signal);
      if (res.status !== 200) throw await responseError(res, "repository");
      let body: unknown;
      try {
        body = JSON.parse(
          Buffer.from(await readCapped(res, MANIFEST_SIZE_LIMIT, "tag list")).toString("utf8"),
        );
      } catch (err) {
        if (err instanceof WharfError) throw err;
        if (err instanceof SyntaxError) {
          throw new WharfError("REGISTRY_PROTOCOL", `invalid tag list from ${res.url.host}: ${err.message}`);
        }
        throw networkError(err, "GET", res.url, this.transport.timeouts);
      }
      const list = (body as { tags?: unknown } | null)?.tags;
      if (Array.isArray(list)) for (const t of list) if (typeof t === "string") tags.push(t);
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(headerValue(res.headers, "link") ?? "")?.[1];
      if (next === undefined) return tags;
      const url = new URL(next, res.url);
      if (url.host !== res.url.host || !url.pathname.startsWith("/v2/")) {
        throw new WharfError(
          "REGISTRY_PROTOCOL",
          `tag list from ${res.url.host} links to another place: ${next}`,
        );
      }
      path = url.pathname + url.search;
    }
    throw new WharfError("REGISTRY_PROTOCOL", `tag list of ${repository} has too many pages`);
  }

  /** The response body as a byte stream whose errors are WharfErrors naming the host. */
  #wrapBody(res: HttpResponse): Readable {
    const { body, url } = res;
    const timeouts = this.transport.timeouts;
    async function* chunks() {
      try {
        for await (const chunk of body) yield chunk as Buffer;
      } catch (err) {
        throw networkError(err, "GET", url, timeouts);
      }
    }
    const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
    stream.once("close", () => {
      if (!body.destroyed) body.destroy();
    });
    return stream;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

export interface RegistryClientFactoryOptions extends RegistryClientOptions {
  /**
   * Registry settings (insecure hosts, CA files), merged with the options; default: read from
   * registries.json (see registries-config.ts); false: none.
   */
  registriesConfig?: RegistriesConfig | false;
}

/**
 * A client for the registry of a reference domain: docker.io (and index.docker.io) is served by
 * registry-1.docker.io; credentials default to docker's config.json and helpers.
 */
export async function registryClientFor(
  domain: string,
  options: RegistryClientFactoryOptions = {},
): Promise<RegistryClient> {
  const host = apiHostFor(domain);
  const { registriesConfig, ...rest } = options;
  const config =
    registriesConfig === false ? undefined : (registriesConfig ?? (await loadRegistriesConfig()));
  const insecureRegistries = [...(options.insecureRegistries ?? []), ...(config?.insecureRegistries ?? [])];
  let ca = options.ca;
  const caFile = config?.ca[domain] ?? config?.ca[host];
  if (caFile !== undefined) {
    let pem: string;
    try {
      pem = await readFile(caFile, "utf8");
    } catch (err) {
      throw new WharfError(
        "REGISTRY_CONFIG_INVALID",
        `cannot read CA file for ${domain}: ${caFile}: ${(err as Error).message}`,
        {
          path: caFile,
        },
      );
    }
    ca = ca === undefined ? pem : [...(Array.isArray(ca) ? ca : [ca]), pem];
  }
  return new RegistryClient(host, {
    ...rest,
    domain,
    insecureRegistries,
    ...(ca === undefined ? {} : { ca }),
    credentials: options.credentials ?? new DockerCredentialStore(),
  });
}
