/**
 * Which files the executable catalogers (Go, Rust) read: regular files with an executable bit, big
 * enough to be a real program and small enough to hold in memory. Whether the content is ELF is
 * checked when it is read (the walker decides from path, size and mode alone).
 */

/** Smaller than this cannot be a Go or Rust program (an ELF header and tables alone are ~1 KiB). */
export const MIN_EXECUTABLE_BYTES = 1024;
/** Larger executables are skipped: the walker holds a wanted file's content in memory. */
export const MAX_EXECUTABLE_BYTES = 512 * 1024 * 1024;

export function wantsExecutable(size: number, mode: number): boolean {
  return (mode & 0o111) !== 0 && size >= MIN_EXECUTABLE_BYTES && size <= MAX_EXECUTABLE_BYTES;
}
