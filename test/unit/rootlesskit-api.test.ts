// The RootlessKit API client on a unix socket (the real API is exercised by test/e2e/verify.test.ts):
// the requests it sends (method, path, Host, JSON body) and how it reads answers — 201 with the
// port's status, an error's {"message"}, a chunked body.
import { test, expect, afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Host } from "../../src/core/os/host.ts";
import { addPort, listPorts, removePort, rootlesskitInfo } from "../../src/core/rootlesskit/api.ts";
import { httpBody } from "../../src/core/os/socket-protocols.ts";

const dir = mkdtempSync(join(tmpdir(), "crs-rk-api-"));
const seen: string[] = [];
const server = Bun.serve({
  unix: join(dir, "api.sock"),
  async fetch(req) {
    const url = new URL(req.url);
    seen.push(`${req.method} ${url.pathname} ${req.headers.get("host")} ${req.method === "POST" ? await req.text() : ""}`.trim());
    if (url.pathname === "/v1/info") return Response.json({ apiVersion: "1.1.1", version: "1.1.0", networkDriver: { driver: "slirp4netns" }, portDriver: { driver: "builtin" } });
    if (req.method === "POST") {
      const spec = JSON.parse(seen.at(-1)!.split(" ").slice(3).join(" "));
      if (spec.parentPort < 1024) return Response.json({ message: `cannot expose privileged port ${spec.parentPort}` }, { status: 500 });
      return Response.json({ id: 7, spec }, { status: 201 });
    }
    if (req.method === "DELETE") return new Response(null, { status: url.pathname === "/v1/ports/7" ? 200 : 500 });
    return Response.json([{ id: 7, spec: { proto: "tcp", parentIP: "127.0.0.1", parentPort: 8080, childPort: 80 } }]);
  },
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
const host = new Host();

test("info, a port published and removed, an error's message, the list", async () => {
  expect(await rootlesskitInfo(host, dir)).toMatchObject({ version: "1.1.0", networkDriver: { driver: "slirp4netns" } });
  expect(await addPort(host, dir, { proto: "tcp", parentIP: "127.0.0.1", parentPort: 8080, childPort: 80 })).toEqual({ id: 7 });
  expect(await addPort(host, dir, { proto: "tcp", parentIP: "127.0.0.1", parentPort: 80, childPort: 80 })).toEqual({ error: "cannot expose privileged port 80" });
  expect(await removePort(host, dir, 7)).toBeNull();
  expect(await removePort(host, dir, 8)).toBe("HTTP 500");
  expect((await listPorts(host, dir)).map((p) => p.id)).toEqual([7]);
  expect(seen).toContain('POST /v1/ports rootlesskit {"proto":"tcp","parentIP":"127.0.0.1","parentPort":8080,"childPort":80}');
  expect(seen).toContain("DELETE /v1/ports/7 rootlesskit");
  expect(await rootlesskitInfo(host, join(dir, "absent"))).toBeNull();
});

test("a chunked body is put together; Content-Length cuts what follows", () => {
  expect(httpBody("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")).toBe('{"a":1}');
  expect(httpBody("HTTP/1.1 200 OK\r\nContent-Length: 2", "{}junk")).toBe("{}");
});
