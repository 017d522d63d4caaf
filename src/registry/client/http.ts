/**
 * One HTTP exchange over Node's own http/https clients, with keep-alive pools and the three timeouts
 * the registry client needs (connect, response headers, body idle).
 *
 * Why not undici: on this project's 2-core reference machine, importing undici cost 100-140 ms of
 * start-up and ~30 MB of RSS, and its wasm parser copies every body chunk once more; a layer download
 * through node:http (C++ llhttp, chunks sliced from the socket read) took a third less CPU. The
 * registry client needs no more than request/response with streaming bodies, which node:http gives.
 */
import type { Agent, IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

// Not `import http from "node:http"`: an ES import of node:http evaluates its lazy exports, which
// loads Node's bundled undici (~15 ms and several MB) that wharf never uses.
const http = process.getBuiltinModule("node:http");
const https = process.getBuiltinModule("node:https");

/** Error codes of the failures this module detects itself (node's own errors keep their codes). */
export const CONNECT_TIMEOUT = "WHARF_CONNECT_TIMEOUT";
export const HEADERS_TIMEOUT = "WHARF_HEADERS_TIMEOUT";
export const BODY_TIMEOUT = "WHARF_BODY_TIMEOUT";

export interface Timeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export interface PoolOptions {
  /** Extra trusted CAs (with the system's), for https. */
  ca?: string[];
  rejectUnauthorized?: boolean;
}

/** A keep-alive connection pool for one scheme and TLS policy. */
export class Pool {
  readonly #http = new http.Agent({ keepAlive: true });
  readonly #https: InstanceType<typeof https.Agent>;

  constructor(options: PoolOptions = {}) {
    this.#https = new https.Agent({
      keepAlive: true,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    });
  }

  agentFor(url: URL): Agent {
    return url.protocol === "https:" ? this.#https : this.#http;
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

function timeoutError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

/**
 * A response body: async iteration of Buffers (each wait for data bounded by the body timeout),
 * `dump()` to discard the rest so the connection can be reused, `destroy()` to drop it.
 */
export class ResponseBody implements AsyncIterable<Buffer> {
  readonly #message: IncomingMessage;
  readonly #idleMs: number;

  constructor(message: IncomingMessage, idleMs: number) {
    this.#message = message;
    this.#idleMs = idleMs;
  }

  get destroyed(): boolean {
    return this.#message.destroyed;
  }

  destroy(err?: Error): void {
    this.#message.destroy(err);
  }

  /** Reads and discards what is left; never throws (a broken connection is simply not reused). */
  dump(): Promise<void> {
    const message = this.#message;
    if (message.complete || message.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      message.once("end", resolve);
      message.once("close", resolve);
      message.once("error", () => resolve());
      message.resume();
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const message = this.#message;
    const iterator = message[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const expire = () => message.destroy(timeoutError(BODY_TIMEOUT, "body timeout"));
    try {
      for (;;) {
        // Timed only while waiting for data: a slow consumer is not a slow server.
        const timer = setTimeout(expire, this.#idleMs);
        const next = await iterator.next().finally(() => clearTimeout(timer));
        if (next.done) return;
        yield next.value;
      }
    } finally {
      if (!message.complete) message.destroy();
    }
  }
}

export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

/**
 * A request body that streams (a layer being uploaded) yet can be sent again: `open()` is called
 * once per attempt (a retry, a redirect, a 401 answered with a fresh token) and must yield the same
 * bytes each time. Nothing of it is held in memory beyond what the socket is writing.
 */
export interface StreamBody {
  /** Content-Length when known; otherwise the body goes chunked. */
  readonly length?: number;
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

export type RequestBody = string | Uint8Array | StreamBody;

export function isStreamBody(body: RequestBody | undefined): body is StreamBody {
  return typeof body === "object" && !(body instanceof Uint8Array);
}

export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: RequestBody | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Sends one request (no redirects, no retries: the transport decides those) and resolves when the
 * response headers arrive. Rejects with node's network errors or the timeout codes above.
 */
export function exchange(pool: Pool, req: RawRequest, timeouts: Timeouts): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    const body = req.body;
    if (isStreamBody(body)) {
      if (body.length !== undefined) headers["content-length"] = String(body.length);
    } else if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const request = (req.url.protocol === "https:" ? https : http).request(req.url, {
      method: req.method,
      headers,
      agent: pool.agentFor(req.url),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    });
    let headersTimer: NodeJS.Timeout | undefined;
    const armHeadersTimer = () => {
      headersTimer = setTimeout(() => {
        request.destroy(timeoutError(HEADERS_TIMEOUT, "headers timeout"));
      }, timeouts.headersMs);
    };
    request.once("socket", (socket: Socket) => {
      if (!socket.connecting) {
        armHeadersTimer();
        return;
      }
      const connectTimer = setTimeout(() => {
        request.destroy(timeoutError(CONNECT_TIMEOUT, "connect timeout"));
      }, timeouts.connectMs);
      const connected = req.url.protocol === "https:" ? "secureConnect" : "connect";
      socket.once(connected, () => {
        clearTimeout(connectTimer);
        armHeadersTimer();
      });
      socket.once("close", () => clearTimeout(connectTimer));
    });
    request.once("response", (message) => {
      clearTimeout(headersTimer);
      resolve({
        statusCode: message.statusCode ?? 0,
        headers: message.headers,
        body: new ResponseBody(message, timeouts.bodyMs),
      });
    });
    // Kept for the request's life: a socket error after the response must not go unhandled.
    request.on("error", (err) => {
      clearTimeout(headersTimer);
      reject(err);
    });
    if (!isStreamBody(body)) {
      request.end(body);
      return;
    }
    // The body is written with backpressure; a source failure destroys the request, which rejects
    // above (unless the response already came: then the caller sees the response's own end).
    Promise.resolve()
      .then(() => body.open())
      .then((chunks) => pipeline(Readable.from(chunks, { objectMode: false }), request))
      .catch((err: unknown) => {
        if (!request.destroyed) request.destroy(err as Error);
      });
  });
}
