/** RegistryClient as the tests use it: closed when the file finishes; blob streams read whole. */
import type { Readable } from "node:stream";
import { after } from "node:test";
import { RegistryClient, type RegistryClientOptions } from "../../src/registry/client/index.ts";

/** A client closed when the file finishes. */
export function client(host: string, options: RegistryClientOptions = {}): RegistryClient {
  const c = new RegistryClient(host, options);
  after(() => c.close());
  return c;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
