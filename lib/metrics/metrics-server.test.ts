import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ConsiliumMetrics } from "./consilium-metrics.js";
import type { MetricsServer } from "./metrics-server.js";
import { parseExposition } from "./parse-exposition.js";

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function call(url: string, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
});

describe("serveMetrics", () => {
  it("serves the live exposition at /metrics on an ephemeral loopback port", async () => {
    const m = new ConsiliumMetrics();
    const server = await m.serveMetrics({ port: 0 });
    servers.push(server);
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);

    m.onIn("signals", 7);
    const first = await call(server.url);
    expect(first.status).toBe(200);
    expect(first.headers["content-type"]).toBe(m.contentType);
    expect(parseExposition(first.body).get('consilium_events_in_total{topic="signals"}')).toBe(7);

    m.onIn("signals", 5);
    m.onAck(12);
    const second = parseExposition((await call(server.url)).body);
    expect(second.get('consilium_events_in_total{topic="signals"}')).toBe(12);
    expect(second.get("consilium_acks_total")).toBe(12);
  });

  it("answers 404 off the path, 405 for other methods, and an empty 200 to HEAD", async () => {
    const server = await new ConsiliumMetrics().serveMetrics({ port: 0, host: "127.0.0.1" });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await call(`${base}/`)).status).toBe(404);
    expect((await call(`${base}/metricsx`)).status).toBe(404);
    const post = await call(server.url, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const head = await call(server.url, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect((await call(`${server.url}?x=1`)).status).toBe(200);
  });

  it("honours a custom path, and stops accepting connections after close()", async () => {
    const server = await new ConsiliumMetrics().serveMetrics({ port: 0, path: "/prom" });
    expect(server.url.endsWith("/prom")).toBe(true);
    expect((await call(server.url)).status).toBe(200);
    await server.close();
    await expect(call(server.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("rejects when the port is taken", async () => {
    const server = await new ConsiliumMetrics().serveMetrics({ port: 0 });
    servers.push(server);
    await expect(new ConsiliumMetrics().serveMetrics({ port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
