// Builds the real gRPC proxy snapshotter (test/fixtures/proxy-snapshotter/main.go) offline from
// Debian's packages (golang-go, golang-github-containerd-containerd-dev) in GOPATH mode, once per
// source: the binary is cached under /var/tmp by the hash of the source and the Go version, so
// repeated runs reuse it. World-readable, so sandbox users can run copies of it. Used by the e2e
// tests (test/helpers/proxy-snapshotter.ts re-exports it) and by `npm run bench`.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

export const PROXY_SNAPSHOTTER_SOURCE = join(import.meta.dir, "../test/fixtures/proxy-snapshotter/main.go");
const CACHE = "/var/tmp/crs-proxy-snapshotter";
const GOPATH_SYSTEM = "/usr/share/gocode";

function goVersion(): string {
  const r = Bun.spawnSync(["go", "version"]);
  if (r.exitCode !== 0) throw new Error("go is not installed: `apt-get install golang-go golang-github-containerd-containerd-dev` (npm test installs them)");
  return r.stdout.toString().trim();
}

/** The path of the built binary (built now when the cache has none for this source). */
export async function buildProxySnapshotter(): Promise<string> {
  const source = readFileSync(PROXY_SNAPSHOTTER_SOURCE);
  const hash = new Bun.CryptoHasher("sha256").update(source).update(goVersion()).digest("hex").slice(0, 16);
  const dir = join(CACHE, hash);
  const binary = join(dir, "proxy-snapshotter");
  if (existsSync(binary)) return binary;
  if (!existsSync(join(GOPATH_SYSTEM, "src/github.com/containerd/containerd/contrib/snapshotservice"))) {
    throw new Error(`containerd's Go sources are missing under ${GOPATH_SYSTEM}: apt-get install golang-github-containerd-containerd-dev`);
  }
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  chmodSync(CACHE, 0o755);
  const work = mkdtempSync(join(CACHE, "build-"));
  try {
    const out = join(work, "proxy-snapshotter");
    const p = Bun.spawn(["go", "build", "-o", out, PROXY_SNAPSHOTTER_SOURCE], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, GO111MODULE: "off", GOPATH: `${join(work, "gopath")}:${GOPATH_SYSTEM}`, GOCACHE: join(CACHE, "gocache"), GOFLAGS: "", CGO_ENABLED: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    if (code !== 0) throw new Error(`building the proxy snapshotter failed (exit ${code}):\n${stderr}`);
    chmodSync(out, 0o755);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    renameSync(out, binary); // atomic: a concurrent build of the same source just wins or loses the rename
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Names the real snapshotter daemons go by; the binary takes each one's command line. */
export const SNAPSHOTTER_DAEMONS = ["containerd-stargz-grpc", "containerd-fuse-overlayfs-grpc"] as const;
