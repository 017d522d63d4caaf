/**
 * A fault-injecting HTTP proxy in front of a real registry: requests pass through unchanged, except
 * one chosen cut (a dropped connection, which a real registry cannot be made to do on cue):
 *  - `{ blob, afterBytes }`: the first GET of that blob is cut off after a number of response bytes;
 *  - `{ upload: true, afterBytes }`: the first upload request with a body (PATCH, or PUT with a body)
 *    is cut off after the registry got that many bytes of it: both connections are dropped.
 * In upload mode the client's Host header goes through unchanged, so that the registry's upload
 * Locations name the proxy. It speaks plain HTTP over a real socket.
 */
import { createServer, request } from "node:http";
import { after } from "node:test";
import { listen } from "./distribution.ts";

export interface FaultProxy {
  /** 127.0.0.1:PORT */
  readonly host: string;
  /** Every request seen: method, path, Range and Content-Range headers. */
  readonly requests: { method: string; url: string; range?: string; contentRange?: string }[];
  /** Whether the cut has happened. */
  readonly cut: () => boolean;
}

export type Cut = { blob: string; afterBytes: number } | { upload: true; afterBytes: number };

export async function startFaultProxy(target: string, cut: Cut): Promise<FaultProxy> {
  const requests: FaultProxy["requests"] = [];
  let cutDone = false;
  const uploadMode = "upload" in cut;
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers["content-range"] ? { contentRange: req.headers["content-range"] } : {}),
    });
    const headers = uploadMode ? req.headers : { ...req.headers, host: target };
    const upstream = request(`http://${target}${req.url}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      const cutThis =
        !uploadMode && !cutDone && req.method === "GET" && (req.url ?? "").endsWith(`/blobs/${cut.blob}`);
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
    });
    upstream.on("error", () => res.destroy());
    const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"];
    const cutUpload =
      uploadMode &&
      !cutDone &&
      hasBody &&
      (req.method === "PATCH" || req.method === "PUT") &&
      (req.url ?? "").includes("/blobs/uploads/");
    if (!cutUpload) {
      req.pipe(upstream);
      return;
    }
    cutDone = true;
    let sent = 0;
    req.on("data", (chunk: Buffer) => {
      if (sent >= cut.afterBytes) return;
      const part = chunk.subarray(0, cut.afterBytes - sent);
      sent += part.length;
      const full = sent >= cut.afterBytes;
      // The registry gets the first bytes (flushed), then both connections drop.
      upstream.write(part, () => {
        if (!full) return;
        setTimeout(() => {
          upstream.destroy();
          req.socket.destroy();
        }, 50);
      });
    });
  });
  const host = await listen(server);
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host, requests, cut: () => cutDone };
}
