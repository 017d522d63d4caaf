/**
 * A fault-injecting HTTP proxy in front of a real registry: requests pass through unchanged, except
 * that the first GET of a chosen blob is cut off after a number of bytes (a dropped connection, which
 * a real registry cannot be made to do on cue). It speaks plain HTTP over a real socket.
 */
import { createServer, request } from "node:http";
import { after } from "node:test";
import { listen } from "./distribution.ts";

export interface FaultProxy {
  /** 127.0.0.1:PORT */
  readonly host: string;
  /** Every request seen: method, path, Range header. */
  readonly requests: { method: string; url: string; range?: string }[];
}

export async function startFaultProxy(
  target: string,
  cut: { blob: string; afterBytes: number },
): Promise<FaultProxy> {
  const requests: FaultProxy["requests"] = [];
  let cutDone = false;
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      ...(req.headers.range ? { range: req.headers.range } : {}),
    });
    const upstream = request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const cutThis = !cutDone && req.method === "GET" && (req.url ?? "").endsWith(`/blobs/${cut.blob}`);
        if (!cutThis) {
          up.pipe(res);
          return;
        }
        cutDone = true;
        let sent = 0;
        up.on("data", (chunk: Buffer) => {
          if (sent >= cut.afterBytes) return;
          const part = chunk.subarray(0, cut.afterBytes - sent);
          sent += part.length;
          res.write(part);
          if (sent >= cut.afterBytes) {
            up.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  const host = await listen(server);
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host, requests };
}
