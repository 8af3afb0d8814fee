// downloadToFile against real HTTP servers on 127.0.0.1: the body reaches the disk through the
// runtime's own pipe (http.ts), so what this checks is the policy around it - progress while
// the bytes arrive, the size cap with and without Content-Length (stopped mid-transfer, the
// partial file gone), and HTTP_PROXY/NO_PROXY deciding which server the request goes to.
import { afterAll, beforeAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { startBundleServer, type BundleServer } from "../helpers/bundle-server.ts";
import { sha256 } from "../helpers/tarball.ts";
import { downloadToFile, type Progress } from "../../src/core/components/download.ts";
import { UserError } from "../../src/core/os/errors.ts";

const SIZE = 2 << 20;
let dir: string;
let server: BundleServer;
let sum: string;
let host: TestHost | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crs-download-"));
  const data = randomBytes(SIZE);
  writeFileSync(join(dir, "blob"), data);
  sum = sha256(data);
  writeFileSync(join(dir, "big"), randomBytes(4 * SIZE)); // 8 MiB: 2 s at the server's pace
  server = startBundleServer(dir, { slowBytesPerSec: 4 << 20 }); // 2 MiB in about 0.5 s
});
afterAll(() => {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => host?.cleanup());

async function fresh(env: Record<string, string> = {}): Promise<TestHost> {
  host = await makeTestHost({ env: { HOME: "/home/alice", PATH: "/usr/bin:/bin", ...env } });
  return host;
}

test("progress is reported while the bytes arrive, up to the whole body; the SHA-256 is the body's", async () => {
  const h = await fresh();
  const seen: Progress[] = [];
  const r = await downloadToFile(h, `${server.url}/slow/blob`, "/dl", { insecureHttp: true, onProgress: (p) => seen.push(p) });
  expect(r).toMatchObject({ sha256: sum, bytes: SIZE, url: `${server.url}/slow/blob` });
  expect(seen.length).toBeGreaterThanOrEqual(3); // ~0.5 s at one look every 100 ms
  expect(seen.some((p) => p.bytes > 0 && p.bytes < SIZE)).toBe(true);
  for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
  expect(seen.at(-1)!.bytes).toBe(SIZE); // Bun.serve streams /slow/ chunked: no total there
  expect(await h.sha256File("/dl")).toEqual({ sha256: sum, bytes: SIZE });
  const whole: Progress[] = [];
  await downloadToFile(h, `${server.url}/files/blob`, "/dl", { insecureHttp: true, onProgress: (p) => whole.push(p) });
  expect(whole.at(-1)).toMatchObject({ bytes: SIZE, total: SIZE }); // the total from Content-Length
});

test("the size cap: refused from Content-Length before the body, and mid-transfer without it", async () => {
  const h = await fresh();
  const early = await downloadToFile(h, `${server.url}/files/blob`, "/dl", { insecureHttp: true, maxBytes: 1000 }).catch((e) => e);
  expect(early).toBeInstanceOf(UserError);
  expect(early.message).toMatch(`is ${SIZE} bytes, more than the 1000-byte limit`);
  const t0 = performance.now();
  const late = await downloadToFile(h, `${server.url}/chunked/big`, "/dl", { insecureHttp: true, maxBytes: 300_000, retries: 0 }).catch((e) => e);
  expect(late).toBeInstanceOf(UserError);
  expect(late.message).toMatch("sent more than the 300000-byte limit");
  expect(performance.now() - t0).toBeLessThan(1500); // stopped at ~0.2 s, not after the whole 2 s body
});

test("HTTP_PROXY carries the request unless NO_PROXY names the host", async () => {
  const asked: string[] = [];
  const proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => (asked.push(req.url), fetch(req.url)), // a forward proxy: the request line holds the whole URL
  });
  try {
    const via = await fresh({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}` });
    expect((await downloadToFile(via, `${server.url}/files/blob`, "/dl", { insecureHttp: true })).sha256).toBe(sum);
    expect(asked).toEqual([`${server.url}/files/blob`]);
    via.cleanup();
    const direct = await fresh({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "localhost,127.0.0.1" });
    expect((await downloadToFile(direct, `${server.url}/files/blob`, "/dl", { insecureHttp: true })).sha256).toBe(sum);
    expect(asked).toHaveLength(1);
    expect(existsSync(join(direct.root, "dl"))).toBe(true);
  } finally {
    proxy.stop(true);
  }
});
