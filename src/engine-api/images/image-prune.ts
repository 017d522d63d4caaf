/**
 * `POST /images/prune?filters=`: moby's ImagesPrune through the same pruneImages as
 * `wharf image prune` (dangling images only unless the filters say dangling=false: the CLI's -a).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { goStruct } from "../../format/template/value.ts";
import { pruneImages } from "../../images/prune.ts";
import type { EngineContext } from "../context.ts";
import { sendGoJSON } from "./go-json.ts";
import { filtersFromJSON, queryValue } from "./query.ts";

export async function pruneImagesRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<void> {
  const filters = filtersFromJSON(queryValue(request, "filters"));
  const report = await pruneImages(ctx.store, { filters });
  // image.PruneReport: ImagesDeleted is a nil slice, so null, when nothing went.
  const deleted = report.deleted.map((d) => goStruct({ ...d }, "image.DeleteResponse"));
  await sendGoJSON(
    reply,
    200,
    goStruct(
      { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: report.spaceReclaimed },
      "image.PruneReport",
    ),
  );
}
