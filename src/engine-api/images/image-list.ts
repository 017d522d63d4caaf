/**
 * `GET /images/json`: moby's getImagesJSON over the same listImages that `wharf images` runs.
 * Per API version, as dockerd: the legacy `filter` parameter before 1.41, `shared-size` from 1.42,
 * `<none>:<none>` and `<none>@<none>` for untagged images before 1.43, VirtualSize before 1.44.
 *
 * `manifests` (API 1.47) is accepted and ignored: dockerd answers Manifests only with the
 * containerd image store; with its own (graph driver) store, which wharf's images mirror (one
 * image per ID, no per-platform content), it leaves the field out as here.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { goStruct } from "../../format/template/value.ts";
import { imageDiskUsage } from "../../images/disk-usage.ts";
import { addFilter } from "../../images/filters.ts";
import { type ImageSummary, listImages } from "../../images/list.ts";
import { loadImages } from "../../images/model.ts";
import { type EngineContext, requestApiVersion } from "../context.ts";
import { sendGoJSON } from "./go-json.ts";
import { filtersFromJSON, queryBool, queryValue, versionBefore } from "./query.ts";

/** The API's ImageSummary, in the field order of moby's image.Summary. */
export interface ApiImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** An image as the API answers it (GET /images/json, and each of /system/df's Images). */
export function apiSummary(s: ImageSummary, version: string, sharedSize?: number): ApiImageSummary {
  // moby's getImagesJSON below 1.43: an image with neither tags nor digests gets the "<none>"
  // placeholders, and an empty list stays Go's nil (null); from 1.43 on, nil is sent as [].
  const old = versionBefore(version, "1.43");
  const untagged = s.RepoTags.length === 0 && s.RepoDigests.length === 0;
  const nilIfEmpty = (list: string[]) => (old && list.length === 0 ? null : list);
  return goStruct(
    {
      Id: s.ID,
      ParentId: s.ParentId,
      RepoTags: old && untagged ? ["<none>:<none>"] : nilIfEmpty(s.RepoTags),
      RepoDigests: old && untagged ? ["<none>@<none>"] : nilIfEmpty(s.RepoDigests),
      Created: s.Created,
      Size: s.Size,
      SharedSize: sharedSize ?? s.SharedSize,
      ...(versionBefore(version, "1.44") ? { VirtualSize: s.Size } : {}),
      Labels: s.Labels,
      Containers: s.Containers,
    },
    "image.Summary",
  );
}

export async function listImagesRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<void> {
  const version = requestApiVersion(request);
  const filters = filtersFromJSON(queryValue(request, "filters"));
  const legacyFilter = queryValue(request, "filter");
  if (versionBefore(version, "1.41") && legacyFilter !== "") addFilter(filters, "reference", legacyFilter);
  const withSharedSize = !versionBefore(version, "1.42") && queryBool(request, "shared-size");

  const images = await loadImages(ctx.store);
  const listed = listImages(images, { filters, all: queryBool(request, "all") });
  // Shared with any image, listed or not: system df's figure, as moby counts layers of all images.
  const shared = withSharedSize
    ? new Map(imageDiskUsage(images).images.map((s) => [s.ID, s.SharedSize]))
    : undefined;
  await sendGoJSON(
    reply,
    200,
    listed.map((l) => apiSummary(l.summary, version, shared?.get(l.summary.ID))),
  );
}
