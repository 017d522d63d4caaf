/**
 * A jar's META-INF/MANIFEST.MF main section (the attributes before the first blank line) as the
 * JAR File Specification writes it: "Name: value" headers, a line starting with one space
 * continuing the previous value, lines ended by CRLF, LF or CR. Attribute names are
 * case-insensitive, so the map's keys are lower-cased.
 */

export type ManifestAttributes = ReadonlyMap<string, string>;

export function parseManifestMain(text: string): ManifestAttributes {
  const attributes = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (attributes.size > 0) break;
      continue;
    }
    if (line[0] === " ") {
      if (last !== undefined) attributes.set(last, attributes.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    last = line.slice(0, colon).trim().toLowerCase();
    // Not trimmed at the end: a value broken at 72 bytes may end its first line with a space.
    attributes.set(last, line.slice(colon + 1).trimStart());
  }
  return attributes;
}

/** An attribute's value, or undefined when absent or empty. */
export function manifestValue(manifest: ManifestAttributes, name: string): string | undefined {
  const value = manifest.get(name.toLowerCase())?.trim();
  return value === undefined || value === "" ? undefined : value;
}
