/**
 * POST /images/{name}/push?tag= (docker push): "The push refers to repository [...]", then each tag's
 * push (transport/push.ts, as `wharf push` runs it) followed by dockerd's aux record {Tag, Digest, Size}; no tag pushes every tag
 * of the repository. Credentials come from X-Registry-Auth. Errors after the first line are the
 * stream's last message, as dockerd sends them.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isWharfError, messageOf, WharfError } from "../../errors.ts";
import { type Platform, parsePlatform, platformFromJSON } from "../../oci/platform.ts";
import { parseNormalizedNamed, type Reference, withTag } from "../../oci/reference.ts";
import { pushRepository } from "../../transport/push.ts";
import type { EngineContext } from "../context.ts";
import { JsonMessageStream } from "./json-stream.ts";
import { registryAuthHeader } from "./registry-auth.ts";

interface PushQuery {
  tag?: string;
  /** API 1.46+: the platform as JSON ({"os":"linux","architecture":"arm64"}). */
  platform?: string;
}

const NO_BASIC_CREDENTIALS = "no basic auth credentials";

export async function pushImageRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
): Promise<void> {
  const query = request.query as PushQuery;
  const parsed = parseNormalizedNamed(name);
  if (parsed.digest !== undefined)
    throw new WharfError("TRANSPORT_REFERENCE_INVALID", "cannot push a digest reference");
  const named: Reference = query.tag ? withTag(parsed, query.tag) : parsed;
  const platform = query.platform ? parsePushPlatform(query.platform) : undefined;
  const stream = new JsonMessageStream(reply);
  try {
    await pushRepository(ctx.store, named, {
      ...(platform === undefined ? {} : { platform }),
      sink: stream,
      registryClient: (domain) => ctx.registryClient(domain, registryAuthHeader(request)),
      onPushed: (pushed) => stream.aux({ Tag: pushed.tag, Digest: pushed.digest, Size: pushed.size }),
    });
  } catch (err) {
    stream.error(pushErrorText(err));
  }
  await stream.end();
}

function parsePushPlatform(text: string): Platform {
  return text.trimStart().startsWith("{") ? platformFromJSON(JSON.parse(text)) : parsePlatform(text);
}

/** dockerd's push says a missing login in its own bare words; other errors as they are. */
function pushErrorText(err: unknown): string {
  const refused = isWharfError(err, "REGISTRY_UNAUTHORIZED") || isWharfError(err, "REGISTRY_DENIED");
  if (refused && err.message.endsWith(NO_BASIC_CREDENTIALS)) return NO_BASIC_CREDENTIALS;
  return messageOf(err);
}
