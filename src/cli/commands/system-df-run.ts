/**
 * `wharf system df`: docker's disk-usage report. wharf has no containers or volumes; their rows
 * (and, with -v, their empty tables) are printed as docker prints them when there are none, so that
 * whatever parses docker's report keeps working. The build cache is wharf build's (build-cache-items.ts).
 */

import type { Command } from "commander";
import { type BuildCacheUsage, buildCacheUsage } from "../../build/engine/build-cache-admin.ts";
import { type BuildCacheItem, buildCacheItems } from "../../build/engine/build-cache-items.ts";
import {
  goStruct,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  IMAGE_HEADER,
  marshalJSON,
  newImageRow,
  parseFormat,
  TABLE_FORMAT_KEY,
  withMarshalJSON,
  writeContext,
} from "../../format/index.ts";
import { type ImageSummary, imageDiskUsage } from "../../images/index.ts";
import { familiarName, parseNormalizedNamed } from "../../oci/reference.ts";
import { partialIngests } from "../../store/gc.ts";
import { imagesOf, withStore } from "./image-support.ts";

const SUMMARY_FORMAT = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
const SUMMARY_HEADER = {
  Type: "TYPE",
  TotalCount: "TOTAL",
  Active: "ACTIVE",
  Size: "SIZE",
  Reclaimable: "RECLAIMABLE",
};
const IMAGES_FORMAT =
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
const CONTAINERS_FORMAT =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
const CONTAINERS_HEADER = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  LocalVolumes: "LOCAL VOLUMES",
  Size: "SIZE",
  RunningFor: "CREATED",
  Status: "STATUS",
  Names: "NAMES",
};
const VOLUMES_FORMAT = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
const VOLUMES_HEADER = { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" };
const CACHE_FORMAT =
  "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";
const CACHE_HEADER = {
  ID: "CACHE ID",
  CacheType: "CACHE TYPE",
  Size: "SIZE",
  CreatedSince: "CREATED",
  LastUsedSince: "LAST USED",
  UsageCount: "USAGE",
  Shared: "SHARED",
};

export interface DfFlags {
  verbose?: boolean;
  format?: string;
}

/**
 * wharf build's cache: every record and snapshot is reclaimable when no build runs. docker words
 * this row's reclaimable space without a percentage (diskUsageBuildCacheContext).
 */
function buildCacheRow(usage: BuildCacheUsage) {
  return summaryRow("Build Cache", usage.items, usage.size, usage.size, 0, false);
}

function summaryRow(
  type: string,
  total: number,
  size: number,
  reclaimable: number,
  active = 0,
  percent = true,
) {
  const fields = {
    Type: type,
    TotalCount: String(total),
    Active: String(active),
    Size: humanSize(size),
    Reclaimable:
      size > 0 && percent
        ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / size)}%)`
        : humanSize(reclaimable),
  };
  return withMarshalJSON(goStruct(fields, "*formatter.diskUsageContext"), () =>
    marshalJSON({ ...fields }, true),
  );
}

/** docker's buildCacheContext: a 12-character ID when truncating, times as "N units ago". */
function cacheRow(item: BuildCacheItem, trunc: boolean, now = Date.now()) {
  const ago = (ms: number) => `${humanDuration(Math.max(0, now - ms) / 1000)} ago`;
  return goStruct(
    {
      ID: trunc ? item.id.slice(0, 12) : item.id,
      CacheType: item.type,
      Size: humanSizeWithPrecision(item.size, 3),
      CreatedSince: ago(Date.parse(item.createdAt)),
      LastUsedSince: item.lastUsedAt === undefined ? "" : ago(item.lastUsedAt),
      UsageCount: String(item.usageCount),
      Shared: "false",
    },
    "*formatter.buildCacheContext",
  );
}

/** Only the first tag of an image is shown (docker's verboseWrite). */
function imageRow(img: ImageSummary, trunc: boolean) {
  let repo = "<none>";
  let tag = "<none>";
  const first = img.RepoTags[0];
  if (first !== undefined) {
    const ref = parseNormalizedNamed(first);
    if (ref.tag !== undefined) {
      repo = familiarName(ref);
      tag = ref.tag;
    }
  }
  return newImageRow(img, { trunc }, repo, tag, "");
}

export async function runDf(flags: DfFlags, cmd: Command): Promise<void> {
  await withStore(cmd, async (store) => {
    const usage = imageDiskUsage(await imagesOf(store));
    const format = flags.format || TABLE_FORMAT_KEY;
    if (!flags.verbose) {
      const rows = [
        summaryRow("Images", usage.images.length, usage.layersSize, usage.layersSize),
        summaryRow("Containers", 0, 0, 0),
        summaryRow("Local Volumes", 0, 0, 0),
        buildCacheRow(await buildCacheUsage(store)),
      ];
      // Not docker's: downloads cut short (a full disk, a dropped connection, a killed pull), shown
      // only when there are some, so that the report is docker's own otherwise.
      const partial = partialIngests(store);
      if (partial.length > 0) {
        const bytes = (state?: string) =>
          partial.filter((p) => state === undefined || p.state === state).reduce((n, p) => n + p.size, 0);
        const active = partial.filter((p) => p.state === "active").length;
        rows.push(summaryRow("Partial ingests", partial.length, bytes(), bytes("abandoned"), active));
      }
      process.stdout.write(
        writeContext(format === TABLE_FORMAT_KEY ? SUMMARY_FORMAT : format, SUMMARY_HEADER, rows),
      );
      return;
    }
    const trunc = format.startsWith(TABLE_FORMAT_KEY);
    const images = usage.images.map((img) => imageRow(img, trunc));
    const items = await buildCacheItems(store);
    const cache = items.map((item) => cacheRow(item, trunc));
    if (format !== TABLE_FORMAT_KEY) {
      // A custom format runs once over everything, as docker's does.
      const data = goStruct(
        { Images: images, Containers: [], Volumes: [], BuildCache: cache },
        "formatter.diskUsageContext",
      );
      process.stdout.write(parseFormat(format).execute(data));
      return;
    }
    let out = "Images space usage:\n\n";
    out += writeContext(IMAGES_FORMAT, IMAGE_HEADER, images);
    out += "\nContainers space usage:\n\n";
    out += writeContext(CONTAINERS_FORMAT, CONTAINERS_HEADER, []);
    out += "\nLocal Volumes space usage:\n\n";
    out += writeContext(VOLUMES_FORMAT, VOLUMES_HEADER, []);
    out += `\nBuild cache usage: ${humanSize(items.reduce((n, i) => n + i.size, 0))}\n\n`;
    out += writeContext(CACHE_FORMAT, CACHE_HEADER, cache);
    process.stdout.write(out);
  });
}
