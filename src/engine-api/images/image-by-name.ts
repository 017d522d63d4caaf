/**
 * The Engine API's endpoints on one image named in the path: inspect (`GET /images/{name}/json`),
 * history, tag and delete — moby's image routes over the same library calls as `wharf inspect`,
 * `history`, `tag` and `rmi`, so their answers are what those commands print.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { goStruct } from "../../format/template/value.ts";
import { imageHistory } from "../../images/history.ts";
import { type InspectResponse, inspectConfig, inspectImage } from "../../images/inspect.ts";
import { inspectResponseStruct } from "../../images/inspect-struct.ts";
import { resolveNamed } from "../../images/load-named.ts";
import type { LocalImage } from "../../images/model.ts";
import { removeImages } from "../../images/remove.ts";
import { tagImage } from "../../images/tag.ts";
import type { ContainerConfig } from "../../oci/config.ts";
import { DEFAULT_TAG, parseNormalizedNamed, withTag } from "../../oci/reference.ts";
import { type EngineContext, requestApiVersion } from "../context.ts";
import { EngineApiError } from "../errors.ts";
import { sendGoJSON } from "./go-json.ts";
import { queryBool, queryValue, versionBefore } from "./query.ts";

/** What an image's config says of the container it was committed from (legacy builds keep it). */
interface CommittedFrom {
  container?: unknown;
  container_config?: ContainerConfig;
}

/**
 * Older API versions get moby's older ImageInspect: VirtualSize (equal to Size) before 1.44, right
 * after Size; Container (omitted when empty) and ContainerConfig (the config's container_config,
 * the zero container.Config without one) before 1.45, right after Created.
 */
function forVersion(inspect: InspectResponse, image: LocalImage, version: string): InspectResponse {
  const virtualSize = versionBefore(version, "1.44");
  const containerConfig = versionBefore(version, "1.45");
  if (!virtualSize && !containerConfig) return inspect;
  const committed = image.config as CommittedFrom;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inspect)) {
    out[key] = value;
    if (key === "Size" && virtualSize) out.VirtualSize = value;
    if (key === "Created" && containerConfig) {
      if (typeof committed.container === "string" && committed.container !== "")
        out.Container = committed.container;
      out.ContainerConfig = inspectConfig(committed.container_config);
    }
  }
  return out as unknown as InspectResponse;
}

export async function inspectImageRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
): Promise<void> {
  const version = requestApiVersion(request);
  const inspect = await resolveNamed(ctx.store, name, (r) =>
    forVersion(inspectImage(r.group), r.group, version),
  );
  await sendGoJSON(reply, 200, inspectResponseStruct(inspect));
}

export async function historyRoute(
  _request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
): Promise<void> {
  const history = await resolveNamed(ctx.store, name, (r) => imageHistory(r.group));
  // image.HistoryResponseItem's JSON names: Id, not the Go field's ID.
  const body = history.map((h) =>
    goStruct(
      {
        Id: h.ID,
        Created: h.Created,
        CreatedBy: h.CreatedBy,
        Tags: h.Tags,
        Size: h.Size,
        Comment: h.Comment,
      },
      "image.HistoryResponseItem",
    ),
  );
  await sendGoJSON(reply, 200, body);
}

/**
 * `POST /images/{name}/tag?repo=&tag=`: moby's RepoTagReference (the repo's own tag is replaced by
 * `tag`, default latest; a digest is refused), then the tag as `wharf tag` makes it. 201, no body.
 */
export async function tagRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
): Promise<void> {
  const repo = parseNormalizedNamed(queryValue(request, "repo"));
  if (repo.digest !== undefined) throw new EngineApiError(400, "cannot create tag for a digested reference");
  await tagImage(ctx.store, name, withTag(repo, queryValue(request, "tag") || DEFAULT_TAG));
  await reply.code(201).send();
}

/**
 * `DELETE /images/{name}?force=&noprune=`: `wharf rmi` of one image, its Untagged/Deleted list.
 * noprune has nothing to keep: wharf images have no parent images.
 */
export async function deleteImageRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
  name: string,
): Promise<void> {
  if (name.trim() === "") throw new EngineApiError(400, "image name cannot be blank");
  const force = queryBool(request, "force");
  const { outcomes } = await removeImages(ctx.store, [name], { force });
  const outcome = outcomes[0];
  if (outcome?.error !== undefined) throw outcome.error;
  const records = (outcome?.records ?? []).map((r) => goStruct({ ...r }, "image.DeleteResponse"));
  await sendGoJSON(reply, 200, records);
}
