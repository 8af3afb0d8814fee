// Serves the files of a directory slowly, WITH their Content-Length, on 127.0.0.1 (port 0):
// a download a person can watch (the UI's progress bar needs the total). node:http, because
// Bun.serve sends a streamed body chunked and drops the length (bundle-server.ts's /slow/
// has no total for that reason). Also in a process of its own, for the end-to-end tests.
import { createServer } from "node:http";
import { openSync, readSync, closeSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

export interface SlowServer {
  url: string;
  stop(): void;
}

/** `bytesPerSec` in chunks ten times a second. */
export function startSlowServer(dir: string, bytesPerSec: number): Promise<SlowServer> {
  const server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.(\/|$))+/, "");
    const path = join(dir, rel);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": String(size), "content-type": "application/gzip" });
    const fd = openSync(path, "r");
    const chunk = Math.max(1024, Math.floor(bytesPerSec / 10));
    let off = 0;
    const tick = () => {
      if (res.destroyed || off >= size) {
        closeSync(fd);
        return void res.end();
      }
      const buf = Buffer.alloc(Math.min(chunk, size - off));
      off += readSync(fd, buf, 0, buf.length, off);
      res.write(buf);
      timer = setTimeout(tick, 100);
    };
    let timer = setTimeout(tick, 0);
    res.on("close", () => clearTimeout(timer));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${addr.port}`, stop: () => void server.close() });
    }),
  );
}

/** The server in a process of its own (the e2e tests run the binary synchronously). */
export async function spawnSlowServer(dir: string, bytesPerSec: number): Promise<SlowServer> {
  const proc = Bun.spawn([process.execPath, import.meta.path, dir, String(bytesPerSec)], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("the slow server exited before printing its URL");
    text += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  return { url: text.trim(), stop: () => proc.kill() };
}

if (import.meta.main) {
  const s = await startSlowServer(process.argv[2]!, Number(process.argv[3]));
  process.stdout.write(`${s.url}\n`);
}
