// A real HTTP server on 127.0.0.1 (port 0) serving bundles from a directory, and the ways a
// server goes wrong: /slow/ (throttled), /truncate/ (cut off mid-body), /404, /500, /loop
// (redirects to itself), /stall/ (headers, then silence), /redirect/ (one hop to /files/),
// /chunked/ (throttled like /slow/, without Content-Length: the size is known only at the end).
import { join } from "node:path";

export interface BundleServer {
  url: string;
  /** requests seen, by path */
  hits: string[];
  stop(): void;
}

export function startBundleServer(dir: string, opts: { slowBytesPerSec?: number } = {}): BundleServer {
  const hits: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      hits.push(path);
      const [, route, ...rest] = path.split("/");
      const file = Bun.file(join(dir, rest.join("/")));
      if (route === "404") return new Response("not found", { status: 404 });
      if (route === "500") return new Response("boom", { status: 500 });
      if (route === "loop") return new Response(null, { status: 302, headers: { location: path } });
      if (route === "redirect") return new Response(null, { status: 301, headers: { location: `/files/${rest.join("/")}` } });
      if (!(await file.exists())) return new Response("not found", { status: 404 });
      if (route === "files") return new Response(file);
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (route === "truncate" || route === "stall" || route === "slow" || route === "chunked") {
        const rate = opts.slowBytesPerSec ?? 256 * 1024;
        let off = 0;
        const stream = new ReadableStream<Uint8Array>({
          async pull(ctl) {
            if (route === "truncate" && off >= bytes.length / 2) return ctl.error(new Error("cut"));
            if (route === "stall" && off >= bytes.length / 2) return new Promise<void>(() => {});
            if (off >= bytes.length) return ctl.close();
            const throttled = route === "slow" || route === "chunked";
            const n = Math.min(throttled ? Math.max(1024, rate / 10) : 64 * 1024, bytes.length - off);
            ctl.enqueue(bytes.subarray(off, off + n));
            off += n;
            if (throttled) await Bun.sleep(100);
          },
        });
        return new Response(stream, { headers: route === "chunked" ? {} : { "content-length": String(bytes.length) } });
      }
      return new Response("unknown route", { status: 400 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, hits, stop: () => server.stop(true) };
}

/**
 * The server in a process of its own: the end-to-end tests run the binary synchronously
 * (spawnSync), which would block a server living in the test's own event loop.
 */
export async function spawnBundleServer(dir: string): Promise<{ url: string; stop(): void }> {
  const proc = Bun.spawn([process.execPath, import.meta.path, dir], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("the bundle server exited before printing its URL");
    text += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  return { url: text.trim(), stop: () => proc.kill() };
}

if (import.meta.main) {
  const s = startBundleServer(process.argv[2]!);
  process.stdout.write(`${s.url}\n`);
}
