/**
 * The local image store: an OCI image layout (oci-layout, index.json, blobs/) plus wharf's database
 * of image records. No daemon: every wharf process opens it directly, any number at once.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Digest } from "../oci/digest.ts";
import { writeFileAtomicSync } from "../util/fs-atomic.ts";
import { type AdoptedBlob, adoptBlob } from "./adopt.ts";
import { BlobReader } from "./blobs.ts";
import { StoreDb } from "./db.ts";
import { Ingester, type IngestRequest, type IngestResult, type OpenIngestFile } from "./ingest.ts";
import { OCI_LAYOUT_CONTENT, syncIndexJson } from "./layout-view.ts";
import { DEFAULT_LEASE_MS, Lease } from "./lease.ts";
import { defaultStoreRoot, StorePaths } from "./paths.ts";
import { RecordReader, RecordWriter } from "./records.ts";

export interface StoreOptions {
  /** Defaults to WHARF_ROOT, then $XDG_DATA_HOME/wharf, then ~/.local/share/wharf. */
  root?: string;
  /** How long to wait for another process's write transaction. */
  lockTimeoutMs?: number;
  /** How ingests open their files: node's fs by default; tests stand a faulty file system in. */
  openIngestFile?: OpenIngestFile;
}

export class Store {
  readonly paths: StorePaths;
  readonly blobs: BlobReader;
  readonly db: StoreDb;
  readonly #ingester: Ingester;

  private constructor(paths: StorePaths, db: StoreDb, openIngestFile?: OpenIngestFile) {
    this.paths = paths;
    this.db = db;
    this.blobs = new BlobReader(paths);
    this.#ingester = new Ingester(db, paths, this.blobs, openIngestFile);
  }

  /** Opens the store, creating an empty one (a valid OCI layout) when the directory is new. */
  static async open(options: StoreOptions = {}): Promise<Store> {
    const paths = new StorePaths(options.root ?? defaultStoreRoot());
    mkdirSync(paths.blobsDir, { recursive: true });
    mkdirSync(paths.ingestDir, { recursive: true });
    if (!existsSync(paths.ociLayout) || readFileSync(paths.ociLayout, "utf8") !== OCI_LAYOUT_CONTENT) {
      writeFileAtomicSync(paths.ociLayout, OCI_LAYOUT_CONTENT);
    }
    const db = new StoreDb(paths.database, { lockTimeoutMs: options.lockTimeoutMs });
    const store = new Store(paths, db, options.openIngestFile);
    if (!existsSync(paths.indexJson)) await store.recover();
    return store;
  }

  get root(): string {
    return this.paths.root;
  }

  /** A consistent snapshot read of the image records. */
  read<T>(fn: (records: RecordReader) => T): T {
    return this.db.read(() => fn(new RecordReader(this.db.sqlite)));
  }

  /**
   * Changes image records atomically: all of `fn`'s writes land together or none do, and index.json
   * is brought in line before the commit. `fn` is synchronous (it runs under the store's writer lock).
   */
  update<T>(fn: (records: RecordWriter) => T): Promise<T> {
    return this.db.write(() => {
      const writer = new RecordWriter(this.db.sqlite, this.paths);
      const result = fn(writer);
      syncIndexJson(this.paths.indexJson, writer.indexEntries());
      return result;
    });
  }

  /** Re-renders index.json from the records if a crash left it out of step; returns whether it did. */
  recover(): Promise<boolean> {
    return this.db.write(() =>
      syncIndexJson(this.paths.indexJson, new RecordReader(this.db.sqlite).indexEntries()),
    );
  }

  /** A lease keeps the blobs it names from garbage collection until released. */
  lease(ttlMs = DEFAULT_LEASE_MS): Lease {
    return new Lease(this.db, ttlMs);
  }

  /** Moves a file the caller wrote and hashed (on the store's file system) into blobs/ as `digest`. */
  adoptBlob(file: string, digest: Digest, lease: Lease): Promise<AdoptedBlob> {
    return adoptBlob(this.paths, file, digest, lease);
  }

  ingest(request: IngestRequest): Promise<IngestResult> {
    return this.#ingester.ingest(request);
  }

  close(): void {
    this.db.close();
  }
}
