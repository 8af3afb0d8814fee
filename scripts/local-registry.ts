// A local image registry (Debian's docker-registry: the distribution registry 2.8) for a sandbox
// user, for the stargz e2e tests and `npm run bench`. It runs as a transient unit of the user's
// systemd manager, started through the product's own `nsenter`, so it listens on the loopback
// the add-on daemons see: RootlessKit's network namespace (RootlessKit 1.1 runs with
// --disable-host-loopback, where the snapshotter cannot reach the host's 127.0.0.1), or the
// host's when detach-netns is in effect (containerd and its add-ons stay in the host's network
// namespace). Its access log (Apache combined format, one line per request with status and bytes
// sent) goes to a file, so a test can see which blobs were fetched whole (200) or by range (206).
import { mkdirSync, readFileSync, existsSync, chownSync } from "node:fs";
import { join } from "node:path";
import { waitFor, type Sandbox } from "./sandbox.ts";

export interface LocalRegistry {
  /** host:port to name images with, e.g. 127.0.0.1:34567 */
  address: string;
  /** the registry's log so far (its own messages and the access log) */
  log(): string;
  /** the requests for one blob: method, status and bytes sent, in order */
  blobRequests(digest: string): BlobRequest[];
  /** stops it (its unit and every process in it) */
  stop(): void;
}

export interface BlobRequest {
  method: string;
  status: number;
  bytes: number;
}

const UNIT = "crs-registry.service";

/** Apache combined format: `127.0.0.1 - - [date] "GET /v2/NAME/blobs/sha256:HEX HTTP/1.1" 206 14100 "" "agent"` */
export function parseBlobRequests(log: string, digest: string): BlobRequest[] {
  const out: BlobRequest[] = [];
  for (const m of log.matchAll(/"(GET|HEAD) \/v2\/\S+\/blobs\/(\S+) HTTP\/[\d.]+" (\d{3}) (\d+|-)/g)) {
    if (m[2] === digest) out.push({ method: m[1]!, status: Number(m[3]), bytes: m[4] === "-" ? 0 : Number(m[4]) });
  }
  return out;
}

function config(dir: string, port: number): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "",
  ].join("\n");
}

/**
 * Starts the registry as `sb`'s transient unit through `bin nsenter --` (containerd must be
 * running). A port already taken (another suite's registry) is retried on another one.
 */
export async function startRegistry(sb: Sandbox, bin: string): Promise<LocalRegistry> {
  const dir = join(sb.home, "registry");
  mkdirSync(join(dir, "data"), { recursive: true });
  const logFile = join(dir, "registry.log");
  const read = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const stop = () => {
    sb.systemctl("stop", UNIT);
    sb.systemctl("reset-failed", UNIT);
  };
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    sb.writeFile(join(dir, "config.yml"), config(dir, port));
    sb.writeFile(logFile, "");
    for (const d of [dir, join(dir, "data")]) chownSync(d, sb.uid, sb.gid);
    stop();
    const started = sb.run(["systemd-run", "--user", `--unit=${UNIT}`, "--collect", "-p", `StandardOutput=append:${logFile}`, "-p", `StandardError=append:${logFile}`, bin, "nsenter", "--", "docker-registry", "serve", join(dir, "config.yml")]);
    if (started.code !== 0) throw new Error(`systemd-run of the registry failed: ${started.stderr}`);
    const listening = `listening on 127.0.0.1:${port}`;
    await waitFor(`the registry to listen on port ${port} or stop`, () => read().includes(listening) || sb.systemctl("is-active", "--quiet", UNIT).code !== 0, 30_000, 50);
    if (read().includes(listening)) {
      return { address: `127.0.0.1:${port}`, log: read, blobRequests: (digest) => parseBlobRequests(read(), digest), stop };
    }
    last = read();
  }
  stop();
  throw new Error(`the registry did not start (5 ports tried); its last log:\n${last}`);
}
