/**
 * Blob uploads (docker push's): up to MONOLITHIC_UPLOAD_LIMIT one POST and one PUT; larger, PATCH
 * chunks that resume where the registry says the upload stands after a cut, and a fresh session
 * when the registry lost or refused one. Sent through a RegistrySession.
 */
import { WharfError } from "../../errors.ts";
import type { Digest } from "../../oci/digest.ts";
import { responseError } from "./registry-errors.ts";
import type { SendRequest } from "./registry-session.ts";
import { repositoryScope } from "./token.ts";
import { type HttpResponse, headerValue } from "./transport.ts";
import { ContentCursor, type UploadContent } from "./upload-body.ts";

export interface UploadOptions {
  signal?: AbortSignal;
  /** Bytes sent so far, as they go. */
  onProgress?: (bytes: number) => void;
  /** PATCH size (and the size up to which one PUT is used); default UPLOAD_CHUNK_SIZE. */
  chunkSize?: number;
}

/** Blobs up to this size go in one PUT (see docs/ARCHITECTURE.md: registry client uploads). */
export const MONOLITHIC_UPLOAD_LIMIT = 32 * 1024 * 1024;
/** PATCH size of a chunked upload, unless the registry asks for more (OCI-Chunk-Min-Length). */
export const UPLOAD_CHUNK_SIZE = 32 * 1024 * 1024;
/** Resumes of one upload session after cut chunks; then a new session. */
const UPLOAD_RESUMES = 5;
/** Upload sessions tried for one blob. */
const UPLOAD_SESSIONS = 3;

/** `repository:NAME:pull,push`: what a push needs of its target. */
export function pushScope(repository: string): string {
  return repositoryScope(repository, ["pull", "push"]);
}

/** The registry unreachable or too slow, or a 5xx: worth another attempt, not a refusal. */
function isTransientError(err: unknown): boolean {
  return (
    err instanceof WharfError && (err.code === "REGISTRY_UNAVAILABLE" || err.code === "REGISTRY_TIMEOUT")
  );
}

/** The upload failed in a way a new session may not: carries the failure to report if none does. */
class RestartUpload extends Error {
  constructor(cause: unknown) {
    super("upload restart", { cause });
  }
}

/** An upload response's Location (absolute or relative to the URL that answered), else `fallback`. */
function uploadLocation(res: HttpResponse, fallback?: URL): URL {
  const location = headerValue(res.headers, "location");
  if (location === undefined || location === "") {
    if (fallback !== undefined) return fallback;
    throw new WharfError("REGISTRY_PROTOCOL", `upload response from ${res.url.host} has no Location header`, {
      url: res.url.href,
    });
  }
  try {
    return new URL(location, res.url);
  } catch {
    throw new WharfError("REGISTRY_PROTOCOL", `invalid upload location from ${res.url.host}: ${location}`, {
      location,
    });
  }
}

/**
 * Uploads a blob. Up to MONOLITHIC_UPLOAD_LIMIT: POST, then one PUT with the content. Larger: POST,
 * PATCH chunks with Content-Range, PUT ?digest=. A chunk cut off (dropped connection, 5xx) is
 * resumed where the registry says the upload stands (GET on the upload URL, its Range header), by
 * re-opening the content there; a registry that lost or refused the session gets a fresh one. The
 * registry verifies the digest and size when the upload is completed.
 */
export async function uploadBlob(
  send: SendRequest,
  repository: string,
  blob: { digest: Digest; size: number },
  content: UploadContent,
  opts: UploadOptions = {},
): Promise<void> {
  const cursor = new ContentCursor(content, opts.onProgress);
  try {
    for (let session = 0; ; session += 1) {
      try {
        await uploadSession(send, repository, blob, cursor, opts);
        return;
      } catch (failure) {
        if (!(failure instanceof RestartUpload) || session >= UPLOAD_SESSIONS - 1) {
          throw failure instanceof RestartUpload ? failure.cause : failure;
        }
      }
    }
  } finally {
    await cursor.close();
  }
}

async function uploadSession(
  send: SendRequest,
  repository: string,
  blob: { digest: Digest; size: number },
  cursor: ContentCursor,
  opts: UploadOptions,
): Promise<void> {
  const scopes = [pushScope(repository)];
  const signal = opts.signal;
  const started = await send(
    "POST",
    `/v2/${repository}/blobs/uploads/`,
    scopes,
    { "content-length": "0" },
    signal,
  );
  if (started.status !== 202) throw await responseError(started, "blob");
  await started.body.dump();
  let location = uploadLocation(started);
  const minChunk = Number(headerValue(started.headers, "oci-chunk-min-length") ?? 0) || 0;
  const chunkSize = Math.max(opts.chunkSize ?? UPLOAD_CHUNK_SIZE, minChunk, 1);
  const finish = (url: URL) => {
    const target = new URL(url);
    target.searchParams.set("digest", blob.digest);
    return target;
  };
  const restartOn = async (err: unknown): Promise<never> => {
    if (!isTransientError(err)) throw err;
    await cancelUpload(send, location, repository);
    throw new RestartUpload(err);
  };

  // An explicit chunk size also sets the size up to which one PUT is used.
  if (blob.size <= (opts.chunkSize === undefined ? MONOLITHIC_UPLOAD_LIMIT : chunkSize)) {
    const res = await send(
      "PUT",
      finish(location).href,
      scopes,
      { "content-type": "application/octet-stream" },
      signal,
      { body: cursor.body(0, blob.size), retry: false },
    ).catch(restartOn);
    if (res.status !== 201) await restartOn(await responseError(res, "blob"));
    await res.body.dump();
    return;
  }

  let offset = 0;
  let resumes = 0;
  while (offset < blob.size) {
    const length = Math.min(chunkSize, blob.size - offset);
    try {
      const res = await send(
        "PATCH",
        location.href,
        scopes,
        {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + length - 1}`,
        },
        signal,
        { body: cursor.body(offset, length), retry: false },
      );
      if (res.status !== 202) {
        // The registry's idea of the upload differs from ours: start it over.
        if (res.status === 416) throw new RestartUpload(await responseError(res, "blob"));
        throw await responseError(res, "blob");
      }
      await res.body.dump();
      location = uploadLocation(res);
      offset += length;
    } catch (err) {
      if (err instanceof RestartUpload) throw err;
      if (!isTransientError(err) || resumes >= UPLOAD_RESUMES) await restartOn(err);
      resumes += 1;
      const status = await uploadStatus(send, location, scopes, signal);
      if (status === undefined) await restartOn(err);
      else ({ location, offset } = status);
    }
  }
  const done = await send("PUT", finish(location).href, scopes, { "content-length": "0" }, signal).catch(
    restartOn,
  );
  if (done.status !== 201) await restartOn(await responseError(done, "blob"));
  await done.body.dump();
}

/** Where an upload stands (GET on its URL): the next offset and URL, or undefined if it is gone. */
async function uploadStatus(
  send: SendRequest,
  location: URL,
  scopes: readonly string[],
  signal: AbortSignal | undefined,
): Promise<{ location: URL; offset: number } | undefined> {
  let res: HttpResponse;
  try {
    res = await send("GET", location.href, scopes, {}, signal);
  } catch {
    return undefined;
  }
  await res.body.dump();
  if (res.status !== 204 && res.status !== 200) return undefined;
  const range = /^(?:bytes=)?0-(\d+)$/.exec(headerValue(res.headers, "range")?.trim() ?? "");
  if (range === null) return undefined;
  // "0-0" is both "nothing yet" and "one byte" (distribution writes it for an empty upload).
  const end = Number(range[1]);
  return { location: uploadLocation(res, location), offset: end === 0 ? 0 : end + 1 };
}

/** Cancels an upload session (best effort: the registry expires sessions anyway). */
export async function cancelUpload(send: SendRequest, location: URL, repository: string): Promise<void> {
  try {
    const res = await send("DELETE", location.href, [pushScope(repository)], {}, undefined, {
      retry: false,
    });
    await res.body.dump();
  } catch {
    // nothing to do: an abandoned session is the registry's to clean up
  }
}
