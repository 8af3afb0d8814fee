// A registry on this machine's own loopback (Debian's docker-registry: the distribution registry),
// as a user runs one for their images: a process in the host's network namespace listening on
// 127.0.0.1, which containerd reaches only with detach-netns. Its log (the access log included:
// one line per request, with the client's user agent) goes to a file the test reads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";

export interface HostRegistry {
  /** host:port to name images with, e.g. 127.0.0.1:34567 */
  address: string;
  /** its log so far */
  log(): string;
  stop(): void;
}

export async function startHostRegistry(): Promise<HostRegistry> {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "crs-registry-"));
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    writeFileSync(join(dir, "config.yml"), ["version: 0.1", "log:", "  level: info", "  formatter: text", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "data")}`, "http:", `  addr: 127.0.0.1:${port}`, ""].join("\n"));
    const logFile = join(dir, "registry.log");
    writeFileSync(logFile, "");
    // both streams appended to one file (the access log is on stdout, the rest on stderr)
    const proc = Bun.spawn(["sh", "-c", 'exec docker-registry serve "$0" >>"$1" 2>&1', join(dir, "config.yml"), logFile], { stdout: "ignore", stderr: "ignore" });
    const log = () => readFileSync(logFile, "utf8");
    const stop = () => {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    };
    await waitFor(`docker-registry to listen on 127.0.0.1:${port} or exit`, () => log().includes(`listening on 127.0.0.1:${port}`) || proc.exitCode !== null, 30_000, 50);
    if (proc.exitCode === null) return { address: `127.0.0.1:${port}`, log, stop };
    last = log();
    stop(); // the port was taken: another one
  }
  throw new Error(`docker-registry did not start (5 ports tried); its last log:\n${last}`);
}
