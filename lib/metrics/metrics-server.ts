import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface ServeMetricsOptions {
  /** TCP port; 0 picks a free one (read it back from the handle). */
  readonly port: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Path serving the exposition; default `/metrics`. */
  readonly path?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/**
 * Serve a registry's Prometheus text exposition over HTTP: `GET`/`HEAD <path>` answers 200 with
 * the registry's content type; other paths 404, other methods 405.
 */
export function serveMetrics(registry: Registry, options: ServeMetricsOptions): Promise<MetricsServer> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/metrics";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://metrics.invalid");
    if (url.pathname !== path) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" })
        .end("method not allowed\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (e: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`${(e as Error).message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        host,
        port,
        url: `http://${shownHost}:${port}${path}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
