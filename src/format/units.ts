/**
 * docker/go-units (sizes and durations as `docker images` shows them) and Go's time.Time.String()
 * for the CreatedAt column.
 */
import { localTimeAt } from "../util/local-zone.ts";
import { formatFloat } from "./template/strconv.ts";

const DECIMAL_ABBRS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** units.HumanSizeWithPrecision: decimal units, `precision` significant digits ("2.05MB", "311MB"). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_ABBRS.length - 1) {
    size /= 1000;
    i++;
  }
  return formatFloat(size, "g", precision) + DECIMAL_ABBRS[i];
}

/** units.HumanSize: 4 significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.HumanDuration of a duration in seconds ("Less than a second", "About an hour", "3 weeks"). */
export function humanDuration(seconds: number): string {
  const s = Math.trunc(seconds);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(seconds / 3600 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(seconds / 3600) / 24 / 365)} years`;
}

/** Unix seconds of Go's zero time (0001-01-01 00:00:00 UTC), which docker shows as no time. */
export const GO_ZERO_UNIX = -62135596800;

const two = (n: number) => String(n).padStart(2, "0");

/**
 * time.Unix(unixSeconds, 0).String() in Go's local zone: "2006-01-02 15:04:05 -0700 MST", with the
 * offset and abbreviation of the tz database (src/util/local-zone.ts), as the docker CLI prints them.
 */
export function goTimeString(unixSeconds: number): string {
  const { offset, abbreviation } = localTimeAt(unixSeconds);
  const d = new Date((unixSeconds + offset) * 1000);
  const minutes = Math.trunc(offset / 60);
  const abs = Math.abs(minutes);
  const date = `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const off = `${minutes < 0 ? "-" : "+"}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
  return `${date} ${time} ${off} ${abbreviation}`;
}

/** The CreatedSince column: "" for the zero time, else HumanDuration(now - created) + " ago". */
export function createdSince(createdUnix: number, nowMs: number = Date.now()): string {
  if (createdUnix === GO_ZERO_UNIX) return "";
  return `${humanDuration((nowMs - createdUnix * 1000) / 1000)} ago`;
}
