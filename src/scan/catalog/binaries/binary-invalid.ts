/**
 * The one error the binary catalogers throw: a binary or archive that is malformed where the scanner
 * reads it, as a WharfError SCAN_BINARY_INVALID whose message starts with the file's path.
 */
import { WharfError } from "../../../errors.ts";

export function binaryInvalid(path: string, what: string, detail: Record<string, unknown> = {}): WharfError {
  return new WharfError("SCAN_BINARY_INVALID", `${path}: ${what}`, { path, ...detail });
}
