/**
 * Tag -> digest through the image's registry, as renovate pins: a HEAD of the tag's manifest with
 * every manifest and index type in Accept, so that a multi-platform tag gives its index digest; a
 * GET when the HEAD has no Docker-Content-Digest (or fails, for the error body that says why), whose
 * digest is computed from the bytes and checked against the header by the registry client. One
 * client per registry (credentials from docker's config.json, --insecure-registry honoured).
 */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { familiarName, familiarString, type Reference, trimNamed, withTag } from "../oci/reference.ts";
import { type RegistryClient, registryClientFor } from "../registry/client/client.ts";
import type { RegistryErrorEntry } from "../registry/client/registry-errors.ts";

export interface TagResolverOptions {
  /** Registries allowed plain HTTP or unverified TLS (the global --insecure-registry). */
  insecureRegistries?: readonly string[];
}

const TAG_LIST_PATIENCE_MS = 5000;

/** The first distribution error code of a registry response error ("MANIFEST_UNKNOWN"), if any. */
function registryCode(err: WharfError): string | undefined {
  const errors = (err.detail as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors[0] as RegistryErrorEntry | undefined)?.code : undefined;
}

/** The registry's answer, worded for the reference being pinned; one line. */
function resolveError(err: unknown, ref: Reference): unknown {
  if (!isWharfError(err)) return err;
  const shown = familiarString(ref);
  const code = registryCode(err);
  let reason = err.message;
  if (code === "NAME_UNKNOWN") {
    reason = `repository ${familiarName(ref)} not found on ${ref.domain} (name unknown)`;
  } else if (code === "MANIFEST_UNKNOWN" || (code === undefined && err.code === "REGISTRY_NOT_FOUND")) {
    reason = `tag ${ref.tag ?? "latest"} not found in ${familiarName(ref)} (manifest unknown)`;
  } else if (err.code === "REGISTRY_UNAUTHORIZED" || err.code === "REGISTRY_DENIED") {
    reason = `${err.message} (log in with wharf login ${ref.domain}, or the repository does not exist)`;
  }
  return new WharfError(
    err.code,
    `cannot pin ${shown}: ${reason}`,
    { ...err.detail, reference: shown },
    {
      cause: err,
    },
  );
}

/**
 * Distribution answers MANIFEST_UNKNOWN for a repository it does not have as well as for a missing
 * tag; its tag list tells them apart (NAME_UNKNOWN). Asked only after the failure, and not for long.
 */
async function repositoryUnknown(client: RegistryClient, path: string, err: WharfError): Promise<WharfError> {
  try {
    await client.listTags(path, { signal: AbortSignal.timeout(TAG_LIST_PATIENCE_MS) });
  } catch (listErr) {
    if (isWharfError(listErr) && registryCode(listErr) === "NAME_UNKNOWN") return listErr;
  }
  return err;
}

/** A response the registry gave (its status is known), rather than a connection failure. */
function isRegistryAnswer(err: unknown): boolean {
  return isWharfError(err) && typeof (err.detail as { status?: unknown }).status === "number";
}

/** Resolves tags to digests; each reference is asked once. Call close() when done. */
export class TagResolver {
  readonly #options: TagResolverOptions;
  readonly #clients = new Map<string, Promise<RegistryClient>>();
  readonly #digests = new Map<string, Promise<Digest>>();

  constructor(options: TagResolverOptions = {}) {
    this.#options = options;
  }

  #client(domain: string): Promise<RegistryClient> {
    let client = this.#clients.get(domain);
    if (client === undefined) {
      const insecure = this.#options.insecureRegistries ?? [];
      client = registryClientFor(domain, insecure.length > 0 ? { insecureRegistries: insecure } : {});
      this.#clients.set(domain, client);
    }
    return client;
  }

  /** The digest `ref`'s tag (`latest` when it has none) points to now. */
  resolve(ref: Reference): Promise<Digest> {
    const tag = ref.tag ?? "latest";
    const key = `${ref.domain}/${ref.path}:${tag}`;
    let digest = this.#digests.get(key);
    if (digest === undefined) {
      digest = this.#ask(ref, tag).catch((err: unknown) => {
        throw resolveError(err, withTag(trimNamed(ref), tag));
      });
      this.#digests.set(key, digest);
    }
    return digest;
  }

  async #ask(ref: Reference, tag: string): Promise<Digest> {
    const client = await this.#client(ref.domain);
    try {
      const head = await client.headManifest(ref.path, tag);
      if (head.digest !== undefined) return head.digest;
    } catch (err) {
      // A HEAD answer has no body: the GET's error says why (name or tag unknown, denied).
      if (!isRegistryAnswer(err)) throw err;
    }
    try {
      return (await client.getManifest(ref.path, tag)).digest;
    } catch (err) {
      throw isWharfError(err) && registryCode(err) === "MANIFEST_UNKNOWN"
        ? await repositoryUnknown(client, ref.path, err)
        : err;
    }
  }

  async close(): Promise<void> {
    const clients = await Promise.allSettled(this.#clients.values());
    for (const c of clients) if (c.status === "fulfilled") await c.value.close();
  }
}

export interface Resolution {
  /** Keyed as resolveAll's caller asked. */
  digests: Map<string, Digest>;
  failures: Map<string, unknown>;
}

/** Every reference resolved at once; `key` names each in the maps returned. */
export async function resolveAll(
  resolver: TagResolver,
  refs: readonly Reference[],
  key: (ref: Reference) => string,
): Promise<Resolution> {
  const results = await Promise.allSettled(refs.map((ref) => resolver.resolve(ref)));
  const out: Resolution = { digests: new Map(), failures: new Map() };
  results.forEach((result, i) => {
    const ref = refs[i]!;
    if (result.status === "fulfilled") out.digests.set(key(ref), result.value);
    else out.failures.set(key(ref), result.reason);
  });
  return out;
}
