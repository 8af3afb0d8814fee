// Test programs of the project's own, built offline from Debian's Go packages in GOPATH mode
// (GO111MODULE=off, GOPATH=<work>:/usr/share/gocode, CGO_ENABLED=0), once per source: each binary
// is cached under /var/tmp/crs-go-fixtures by the hash of its source (and the files it embeds),
// the Go version and the versions of the Debian packages it is built from, so a machine with
// other packages (Debian 12 vs 13) builds its own. World-readable, so sandbox users can run
// copies of them.
//
//   buildkitd                       test/fixtures/buildkitd-standin: the BuildKit v0.26.3 stand-in (grpc-go)
//   containerd-stargz-grpc          test/fixtures/stargz-snapshotter: Debian's stargz library
//                                   (fs + snapshot packages; lazy pulling over FUSE)
//   containerd-fuse-overlayfs-grpc  test/fixtures/fuse-overlayfs-snapshotter: containerd's overlay
//                                   snapshotter with fuse3.fuse-overlayfs mounts for Debian's fuse-overlayfs
//
//   bun scripts/go-fixtures.ts      build them now (npm test does this before the e2e tests)
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface GoFixture {
  /** the daemon's name: the binary is built under it */
  program: string;
  /** the Go source (one main package file) */
  source: string;
  /** files the source embeds (//go:embed), hashed with it */
  embeds?: string[];
  /** the Debian packages whose Go sources it is built from (part of the cache key) */
  packages: string[];
  /** a directory under /usr/share/gocode/src that must exist (else: which package to install) */
  needs: string;
}

const FIXTURES = join(import.meta.dir, "../test/fixtures");
const CACHE = "/var/tmp/crs-go-fixtures";
const GOPATH_SYSTEM = "/usr/share/gocode";

/** BuildKit v0.26.3 as far as the product depends on it (test/fixtures/buildkitd-standin/README.md). */
export const BUILDKITD_STANDIN: GoFixture = {
  program: "buildkitd",
  source: join(FIXTURES, "buildkitd-standin/main.go"),
  embeds: ["buildkitd-help-v0.26.3.txt", "buildkitd-help-v0.26.3-rootless.txt"].map((f) => join(FIXTURES, "buildkitd-standin", f)),
  packages: ["golang-google-grpc-dev", "golang-google-protobuf-dev"],
  needs: "google.golang.org/grpc",
};

export const STARGZ_DAEMON: GoFixture = {
  program: "containerd-stargz-grpc",
  source: join(FIXTURES, "stargz-snapshotter/main.go"),
  packages: ["golang-github-containerd-stargz-snapshotter-dev", "golang-github-containerd-containerd-dev"],
  needs: "github.com/containerd/stargz-snapshotter/snapshot",
};

export const FUSE_OVERLAYFS_DAEMON: GoFixture = {
  program: "containerd-fuse-overlayfs-grpc",
  source: join(FIXTURES, "fuse-overlayfs-snapshotter/main.go"),
  packages: ["golang-github-containerd-containerd-dev"],
  needs: "github.com/containerd/containerd/contrib/snapshotservice",
};

/** Both snapshotter daemons, each installed under its own name. */
export const SNAPSHOTTER_DAEMONS = [STARGZ_DAEMON, FUSE_OVERLAYFS_DAEMON] as const;

function output(argv: string[]): string {
  const r = Bun.spawnSync(argv);
  return r.exitCode === 0 ? r.stdout.toString().trim() : "";
}

/** The cache key's inputs besides the source: the Go version and each package's version. */
function toolchain(f: GoFixture): string {
  const go = output(["go", "version"]);
  if (!go) throw new Error(`go is not installed: apt-get install golang-go ${f.packages.join(" ")} (npm test installs them)`);
  return [go, ...f.packages.map((p) => `${p}=${output(["dpkg-query", "-W", "-f=${Version}", p])}`)].join("\n");
}

/** The path of the built daemon (built now when the cache has none for this source and toolchain). */
export async function buildGoFixture(f: GoFixture): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256").update(readFileSync(f.source));
  for (const file of f.embeds ?? []) hasher.update(readFileSync(file));
  const hash = hasher.update(toolchain(f)).digest("hex").slice(0, 16);
  const dir = join(CACHE, `${f.program}-${hash}`);
  const binary = join(dir, f.program);
  if (existsSync(binary)) return binary;
  if (!existsSync(join(GOPATH_SYSTEM, "src", f.needs))) throw new Error(`${f.needs} is missing under ${GOPATH_SYSTEM}/src: apt-get install ${f.packages.join(" ")}`);
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  chmodSync(CACHE, 0o755);
  const work = mkdtempSync(join(CACHE, "build-"));
  try {
    const out = join(work, f.program);
    const p = Bun.spawn(["go", "build", "-trimpath", "-o", out, f.source], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, GO111MODULE: "off", GOPATH: `${join(work, "gopath")}:${GOPATH_SYSTEM}`, GOCACHE: join(CACHE, "gocache"), GOFLAGS: "", CGO_ENABLED: "0" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    if (code !== 0) throw new Error(`building ${f.program} from ${f.source} failed (exit ${code}):\n${stderr}`);
    chmodSync(out, 0o755);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    renameSync(out, binary); // atomic: a concurrent build of the same source just wins or loses the rename
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds both snapshotter daemons; returns each one's path by program name. */
export async function buildSnapshotterDaemons(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of SNAPSHOTTER_DAEMONS) out[f.program] = await buildGoFixture(f);
  return out;
}

/** Builds both daemons and copies them into `dir` (made and owned by uid:gid, e.g. a sandbox user's ~/snapshotters); returns `dir`. */
export async function installSnapshotterDaemons(dir: string, uid: number, gid: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, uid, gid);
  for (const [program, binary] of Object.entries(await buildSnapshotterDaemons())) {
    const dest = join(dir, program);
    copyFileSync(binary, dest);
    chmodSync(dest, 0o755);
    chownSync(dest, uid, gid);
  }
  return dir;
}

if (import.meta.main) {
  const started = performance.now();
  console.log(`buildkitd (stand-in): ${await buildGoFixture(BUILDKITD_STANDIN)}`);
  for (const [program, path] of Object.entries(await buildSnapshotterDaemons())) console.log(`${program}: ${path}`);
  console.log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
