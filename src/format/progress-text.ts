/** Docker's JSONProgress.String(): an optional bar (terminals wider than 110) and current/total. */
import { humanSize } from "./units.ts";

export function progressText(current: number, total: number | undefined, width: number): string {
  if (total === undefined || total <= 0) return current > 0 ? humanSize(current).padStart(8) : "";
  const percent = Math.min(Math.floor(Math.floor((current / total) * 100) / 2), 50);
  const bar = width > 110 ? `[${"=".repeat(percent)}>${" ".repeat(Math.max(50 - percent, 0))}] ` : "";
  const numbers =
    current > total
      ? humanSize(current).padStart(8)
      : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}
