/**
 * BuildKit's util/suggest (ported): an error about an unknown word gains ` (did you mean X?)` when
 * a known word is fewer than 3 edits away. BuildKit's options come from Go maps (random order), so
 * among equally close words it may pick either; here the first listed wins.
 */

/** The closest option under 3 edits, "" when none or when the word is itself an option. */
export function suggestWord(word: string, options: readonly string[], caseSensitive: boolean): string {
  const value = caseSensitive ? word : word.toLowerCase();
  let match = "";
  let best = 3;
  for (const option of options) {
    const candidate = caseSensitive ? option : option.toLowerCase();
    if (candidate === value) return "";
    const distance = levenshtein([...value], [...candidate]);
    if (distance < best) {
      match = caseSensitive ? candidate : matchCase(candidate, word);
      best = distance;
    }
  }
  return match;
}

/** The message with BuildKit's suggestion appended when there is one. */
export function withSuggestion(
  message: string,
  word: string,
  options: readonly string[],
  caseSensitive: boolean,
): string {
  const match = suggestWord(word, options, caseSensitive);
  return match === "" ? message : `${message} (did you mean ${match}?)`;
}

/** Edit distance over code points (agext/levenshtein's default costs: 1 each). */
function levenshtein(a: string[], b: string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitute, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The suggestion in the case the user wrote: all lower, all upper, or as listed. */
function matchCase(option: string, original: string): string {
  if (original === original.toLowerCase()) return option.toLowerCase();
  if (original === original.toUpperCase()) return option.toUpperCase();
  return option;
}
