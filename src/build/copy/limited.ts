/** Bounded parallelism for the many small file operations of a copy (no project imports). */

/** Runs `fn` over `items` in order with at most `limit` running at once; the first failure is thrown. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  const results = await Promise.allSettled(workers);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected !== undefined) throw rejected.reason;
}

/**
 * Cooperative time slicing for loops of synchronous file-system calls: on this kind of machine a
 * small file's open/copy/chown/utimes through libuv's thread pool costs several times the
 * syscalls themselves, so the copy and the hash run them synchronously and give the event loop
 * a turn every few milliseconds (timers, signals, progress output keep running).
 */
export class TimeSlicer {
  private sliceStart = performance.now();
  private readonly sliceMs: number;

  constructor(sliceMs = 10) {
    this.sliceMs = sliceMs;
  }

  /** Yields to the event loop when the current slice is used up. */
  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
