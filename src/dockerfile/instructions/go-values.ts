/**
 * The few Go strconv parsers BuildKit's instructions use (ParseBool, ParseInt, ParseUint), with
 * Go's accepted spellings and its error wording, so that flag and mount values are judged alike.
 */
import { instructionError } from "./instruction-error.ts";

const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseBool: undefined when the text is no Go boolean. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

const DIGITS: Readonly<Record<number, RegExp>> = { 8: /^[0-7]+$/, 10: /^[0-9]+$/ };

/** strconv.ParseUint(text, base, bits) for base 8 or 10: undefined when invalid or out of range. */
export function parseGoUint(text: string, base: 8 | 10, bits: number): number | undefined {
  if (!DIGITS[base]?.test(text)) return undefined;
  const value = BigInt(base === 8 ? `0o${text}` : text);
  return value < 1n << BigInt(bits) ? Number(value) : undefined;
}

/** strconv.ParseInt(text, 10, bits), throwing Go's error text. */
export function parseGoInt(text: string, bits: number): number {
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (match === null)
    throw instructionError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = BigInt(`${match[1]}${match[2]}`);
  const limit = 1n << BigInt(bits - 1);
  if (value >= limit || value < -limit)
    throw instructionError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  return Number(value);
}
