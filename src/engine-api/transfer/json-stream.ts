/**
 * docker's JSON-lines progress stream (moby pkg/streamformatter, docker/cli jsonmessage): one JSON
 * object per line, `\r\n`-terminated, as the transfer endpoints answer. The stream starts (200,
 * application/json) with its first message, so an error before that is still the endpoint's own
 * error answer (the route throws it); after that, errors go in the stream as dockerd sends them.
 * It is a ProgressSink (transport/progress-sink.ts), as the CLI's printer is, so the code that words
 * pull, push and load progress for the CLI words it for the API too.
 */
import { PassThrough } from "node:stream";
import type { FastifyReply } from "fastify";
import { progressText } from "../../format/progress-text.ts";

/** dockerd formats the progress bar for a 200-column terminal (JSONProgress without a window size). */
const DAEMON_PROGRESS_WIDTH = 200;

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  aux?: unknown;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

export class JsonMessageStream {
  readonly #reply: FastifyReply;
  #body: PassThrough | undefined;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  /** Whether the 200 has gone out: from now on errors are messages in the stream. */
  get started(): boolean {
    return this.#body !== undefined;
  }

  /** The client went away: nothing more will be read. */
  get closed(): boolean {
    return this.#reply.raw.destroyed || this.#reply.request.raw.destroyed;
  }

  write(message: JsonMessage): void {
    if (this.#body === undefined) {
      this.#body = new PassThrough();
      // A client that hung up must not make the writes fail: they go nowhere.
      this.#body.on("error", () => undefined);
      void this.#reply.type("application/json").send(this.#body);
    }
    if (!this.#body.writableEnded) this.#body.write(`${JSON.stringify(message)}\r\n`);
  }

  /** A status line without a layer ("Digest: ...", "Status: ..."). */
  line(status: string): void {
    this.write({ status });
  }

  /** A status keyed by an ID that is not a layer's ("latest: Pulling from busybox"). */
  keyedLine(id: string, status: string): void {
    this.write({ status, id });
  }

  /** A layer's status, with docker's progressDetail and progress text when bytes are counted. */
  layer(id: string, status: string, current?: number, total?: number): void {
    if (current === undefined) {
      this.write({ status, progressDetail: {}, id });
      return;
    }
    this.write({
      status,
      progressDetail: total === undefined ? { current } : { current, total },
      progress: progressText(current, total, DAEMON_PROGRESS_WIDTH),
      id,
    });
  }

  /** A stream line of a build ({"stream": ...}). */
  stream(text: string): void {
    this.write({ stream: text });
  }

  aux(value: unknown): void {
    this.write({ progressDetail: {}, aux: value });
  }

  /** The error as dockerd puts it in a stream; `code` only where dockerd sends one (a build's). */
  error(message: string, code?: number): void {
    this.write({ errorDetail: code === undefined ? { message } : { code, message }, error: message });
  }

  /** Ends the stream; resolves once the answer is out (see replyFinished). */
  end(): Promise<void> {
    // Nothing was said: an empty 200 answer.
    if (this.#body === undefined) void this.#reply.type("application/json").send("");
    else this.#body.end();
    return replyFinished(this.#reply);
  }
}

/**
 * Resolves when the answer has gone out (or the client went away). A route that sent a stream
 * returns only then: fastify's async onSend hooks delay the headers, and a handler that resolved
 * before they went would have fastify send an empty answer of its own in the stream's place.
 */
export function replyFinished(reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    reply.then(resolve, () => resolve());
  });
}
