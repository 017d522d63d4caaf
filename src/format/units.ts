/**
 * docker/go-units (sizes and durations as `docker images` shows them) and Go's time.Time.String()
 * for the CreatedAt column.
 */
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

/** Built once: constructing an Intl formatter costs far more than using one. */
let zoneFormatter: Intl.DateTimeFormat | undefined;

function zoneName(d: Date, offsetMinutes: number): string {
  zoneFormatter ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
  const part = zoneFormatter.formatToParts(d).find((p) => p.type === "timeZoneName")?.value;
  if (part !== undefined && /^[A-Z]{3,5}$/.test(part) && part !== "GMT") return part;
  if (offsetMinutes === 0) return "UTC";
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? "-" : "+"}${two(Math.trunc(abs / 60))}${abs % 60 ? two(abs % 60) : ""}`;
}

/**
 * time.Unix(unixSeconds, 0).String() in the local zone: "2006-01-02 15:04:05 -0700 MST". The zone
 * abbreviation comes from Intl; where it has none, Go's numeric form ("+03") is used, as Go does for
 * zones without an abbreviation.
 */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offset = Math.trunc(-d.getTimezoneOffset());
  const abs = Math.abs(offset);
  const date = `${String(d.getFullYear()).padStart(4, "0")}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const off = `${offset < 0 ? "-" : "+"}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
  return `${date} ${time} ${off} ${zoneName(d, offset)}`;
}

/** The CreatedSince column: "" for the zero time, else HumanDuration(now - created) + " ago". */
export function createdSince(createdUnix: number, nowMs: number = Date.now()): string {
  if (createdUnix === GO_ZERO_UNIX) return "";
  return `${humanDuration((nowMs - createdUnix * 1000) / 1000)} ago`;
}
