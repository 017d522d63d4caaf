/**
 * Leases protect blobs that an operation has ingested (or found) but not yet referenced from an image
 * record: garbage collection never sweeps a leased digest. A lease dies when it is released, when it
 * expires, or when its owner process is gone (containerd's leases, with process liveness added).
 */
import type { Digest } from "../oci/digest.ts";
import type { StoreDb } from "./db.ts";
import { currentOwner, formatOwner, isOwnerAlive, parseOwner } from "./owner.ts";

export const DEFAULT_LEASE_MS = 24 * 60 * 60 * 1000;

/**
 * Leases need not be durable: one lost to a power failure belonged to a process that is gone, and
 * GC ignores the leases of dead processes anyway. What a lease protects is made durable by the
 * record that follows it.
 */
const ADVISORY = { durable: false } as const;

export class Lease {
  // Loaded on first use, as in oci/digest.ts: listing images never takes a lease.
  readonly id = process.getBuiltinModule("node:crypto").randomUUID();
  readonly #db: StoreDb;
  readonly #expiresAt: number;
  readonly #held = new Set<string>();

  constructor(db: StoreDb, ttlMs = DEFAULT_LEASE_MS) {
    this.#db = db;
    this.#expiresAt = Date.now() + ttlMs;
  }

  /** Protects `digest` from garbage collection until this lease ends. */
  add(digest: Digest): Promise<void> {
    return this.addAll([digest]);
  }

  /** Protects several digests, in one transaction. */
  async addAll(digests: readonly Digest[]): Promise<void> {
    const fresh = digests.filter((d) => !this.#held.has(d));
    if (fresh.length === 0) return;
    await this.#db.write(() => {
      const insert = this.#db.sqlite.prepare(
        "INSERT OR IGNORE INTO leases (id, digest, owner, expires_at) VALUES (?, ?, ?, ?)",
      );
      for (const digest of fresh) insert.run(this.id, digest, formatOwner(currentOwner()), this.#expiresAt);
    }, ADVISORY);
    for (const digest of fresh) this.#held.add(digest);
  }

  async release(): Promise<void> {
    if (this.#held.size === 0) return;
    await this.#db.write(() => {
      this.#db.sqlite.prepare("DELETE FROM leases WHERE id = ?").run(this.id);
    }, ADVISORY);
    this.#held.clear();
  }
}

/** Digests under a live lease. Runs inside the collector's write transaction. */
export function leasedDigests(db: StoreDb, now = Date.now()): Set<string> {
  const live = new Set<string>();
  const rows = db.sqlite.prepare("SELECT digest, owner, expires_at FROM leases").all() as {
    digest: string;
    owner: string;
    expires_at: number;
  }[];
  const alive = new Map<string, boolean>();
  for (const row of rows) {
    if (row.expires_at <= now) continue;
    let ownerAlive = alive.get(row.owner);
    if (ownerAlive === undefined) {
      const owner = parseOwner(row.owner);
      ownerAlive = owner !== undefined && isOwnerAlive(owner);
      alive.set(row.owner, ownerAlive);
    }
    if (ownerAlive) live.add(row.digest);
  }
  return live;
}

/** Deletes leases that have expired or whose owner is gone. Runs inside a write transaction. */
export function pruneDeadLeases(db: StoreDb, now = Date.now()): number {
  const rows = db.sqlite.prepare("SELECT DISTINCT id, owner, expires_at FROM leases").all() as {
    id: string;
    owner: string;
    expires_at: number;
  }[];
  let pruned = 0;
  const del = db.sqlite.prepare("DELETE FROM leases WHERE id = ?");
  for (const row of rows) {
    const owner = parseOwner(row.owner);
    if (row.expires_at <= now || owner === undefined || !isOwnerAlive(owner)) {
      del.run(row.id);
      pruned += 1;
    }
  }
  return pruned;
}
