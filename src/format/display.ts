/** docker/cli formatter/displayutils.go: TruncateID and Ellipsis. */
import { charWidth } from "./width.ts";

const SHORT_ID_LENGTH = 12;

/** stringid.TruncateID: drops an algorithm prefix ("sha256:") and keeps 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(":");
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > SHORT_ID_LENGTH ? bare.slice(0, SHORT_ID_LENGTH) : bare;
}

/**
 * Truncates `s` to at most `maxDisplayWidth` terminal cells, ending in "…". Wide characters count 2
 * (see width.ts). For a width of 1 the first character is returned whatever its width.
 */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return "";
  const rs = [...s];
  if (maxDisplayWidth === 1) return rs[0] ?? "";
  if (rs.every((r) => r.codePointAt(0)! < 0x80)) {
    return rs.length <= maxDisplayWidth ? s : `${rs.slice(0, maxDisplayWidth - 1).join("")}…`;
  }
  const display: number[] = [];
  let width = 0;
  for (const r of rs) {
    width += charWidth(r.codePointAt(0)!);
    display.push(width);
  }
  if (width <= maxDisplayWidth) return s;
  for (let i = 0; i < display.length - 1; i++) {
    if (display[i]! <= maxDisplayWidth - 1 && display[i + 1]! > maxDisplayWidth - 1) {
      return `${rs.slice(0, i + 1).join("")}…`;
    }
  }
  return s;
}
