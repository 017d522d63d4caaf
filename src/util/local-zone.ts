/**
 * The local time zone as Go's time.Local sees it (time/zoneinfo_unix.go initLocal), so that times
 * print as Docker prints them: $TZ unset -> /etc/localtime; TZ="" or "UTC" -> UTC; TZ="NAME" or
 * ":NAME" -> the first of Go's zone directories holding NAME; TZ="/PATH" (or ":/PATH") -> that file;
 * anything unreadable or not a TZif file -> UTC. The file is read and parsed once per process, when
 * a local time is first needed (start-up reads nothing).
 */
import { readFileSync } from "node:fs";
import { parseTzif, type TzifZone, tzifZoneAt } from "./tzif.ts";

/** Go's platformZoneSources on Unix (the last is NixOS's). */
const ZONE_DIRS = ["/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo"];

export interface LocalTime {
  /** Seconds east of UTC. */
  readonly offset: number;
  /** Go's "MST" field: the zone's abbreviation ("JST", "-03"), or "-0700" when it has none. */
  readonly abbreviation: string;
}

const UTC: LocalTime = { offset: 0, abbreviation: "UTC" };

function readZone(path: string): TzifZone | undefined {
  try {
    return parseTzif(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** The zone Go chooses for the value of $TZ (`undefined`: TZ unset); `undefined` means UTC. */
export function zoneForTZ(tz: string | undefined): TzifZone | undefined {
  if (tz === undefined) return readZone("/etc/localtime");
  const name = tz.startsWith(":") ? tz.slice(1) : tz;
  if (name === "" || name === "UTC") return undefined;
  if (name.startsWith("/")) return readZone(name);
  for (const dir of ZONE_DIRS) {
    const zone = readZone(`${dir}/${name}`);
    if (zone) return zone;
  }
  return undefined;
}

/** Go's "-0700" form, for a type without an abbreviation. */
function numericZone(offset: number): string {
  // Go truncates to whole minutes before taking the sign.
  const minutes = Math.trunc(offset / 60);
  const abs = Math.abs(minutes);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${minutes < 0 ? "-" : "+"}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
}

/** The offset and abbreviation of `zone` (undefined: UTC) at an instant, as Go formats them. */
export function zoneTimeAt(zone: TzifZone | undefined, unixSeconds: number): LocalTime {
  if (zone === undefined) return UTC;
  const t = tzifZoneAt(zone, unixSeconds);
  return { offset: t.offset, abbreviation: t.abbreviation || numericZone(t.offset) };
}

let local: { zone: TzifZone | undefined } | undefined;

/** The local zone's offset and abbreviation at an instant (Unix seconds). */
export function localTimeAt(unixSeconds: number): LocalTime {
  local ??= { zone: zoneForTZ(process.env.TZ) };
  return zoneTimeAt(local.zone, unixSeconds);
}
