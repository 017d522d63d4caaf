/** `wharf history` / `wharf image history`: docker's history table (formatter_history.go). */
import type { Command } from "commander";
import {
  DEFAULT_QUIET_FORMAT,
  ellipsis,
  goStruct,
  humanDuration,
  humanSizeWithPrecision,
  marshalJSON,
  TABLE_FORMAT_KEY,
  truncateID,
  withMarshalJSON,
  writeContext,
} from "../../format/index.ts";
import { formatRFC3339Local, type HistoryItem, imageHistory, resolveNamed } from "../../images/index.ts";
import { daemon, withStore } from "./image-support.ts";

export interface HistoryFlags {
  human?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
}

const DEFAULT_FORMAT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
const NON_HUMAN_FORMAT = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
const HEADER = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};
/** Before this (2000-01-01), a creation time is shown as N/A. */
const EPOCH = 946684800;

function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source !== TABLE_FORMAT_KEY) return source;
  if (quiet) return DEFAULT_QUIET_FORMAT;
  return human ? DEFAULT_FORMAT : NON_HUMAN_FORMAT;
}

function row(h: HistoryItem, trunc: boolean, human: boolean, now: number) {
  const createdAt = formatRFC3339Local(h.Created);
  const createdBy = h.CreatedBy.replaceAll("\t", " ");
  const fields = {
    ID: trunc ? truncateID(h.ID) : h.ID,
    CreatedSince: !human
      ? createdAt
      : h.Created <= EPOCH
        ? "N/A"
        : `${humanDuration(now / 1000 - h.Created)} ago`,
    CreatedAt: createdAt,
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  };
  return withMarshalJSON(goStruct(fields, "*image.historyContext"), () => marshalJSON({ ...fields }, true));
}

export async function runHistory(name: string, flags: HistoryFlags, cmd: Command): Promise<void> {
  await withStore(cmd, async (store) => {
    // Only the images the name can mean are read; one deleted meanwhile is looked up again.
    const history = await daemon(() => resolveNamed(store, name, (r) => imageHistory(r.group)));
    const human = flags.human !== false;
    const trunc = flags.trunc !== false;
    const format = historyFormat(flags.format || TABLE_FORMAT_KEY, flags.quiet === true, human);
    const now = Date.now();
    process.stdout.write(
      writeContext(
        format,
        HEADER,
        history.map((h) => row(h, trunc, human, now)),
      ),
    );
  });
}
