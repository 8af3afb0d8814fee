// The Debian packages a sandbox needs (the real systemd --user, RootlessKit, containerd and
// their helpers), and installing the missing ones as root. Shared by `npm test` (which also
// needs the test tools) and `npm start` as root (which runs the product in a sandbox).
import { existsSync, readFileSync } from "node:fs";

/** What rootless containerd needs on the machine, for the product in a sandbox. */
export const RUNTIME_PACKAGES = ["containerd", "rootlesskit", "slirp4netns", "uidmap", "runc", "fuse-overlayfs", "dbus-user-session", "procps", "util-linux", "iproute2"];
/**
 * What the tests need besides: a busybox for a test image, tmux for the UI, python3 for the daemon
 * stand-ins, nerdctl's CNI plugins and iptables for the check probes, passt (pasta) for
 * RootlessKit 2's pasta driver, and for the snapshotter add-ons (scripts/go-fixtures.ts): Go with
 * containerd's and the stargz snapshotter's Go sources to build both daemons offline (cgo
 * builds: gcc and libc6-dev, which a minbase Debian lacks and golang-go only recommends), fuse3
 * (mount.fuse3, which containerd runs for fuse-overlayfs mounts), and stargz-snapshotter
 * (ctr-remote: eStargz conversion and lazy pulls; the registry they pull from is docker-registry, below).
 */
export const TEST_PACKAGES = [...RUNTIME_PACKAGES, "busybox-static", "tmux", "python3", "containernetworking-plugins", "iptables", "passt"];
TEST_PACKAGES.push("golang-go", "gcc", "libc6-dev", "golang-github-containerd-containerd-dev", "golang-github-containerd-stargz-snapshotter-dev", "fuse3", "stargz-snapshotter");
/**
 * And for the release tests: minisign (a throwaway signing key), qemu-user-static with
 * libc6-arm64-cross (the arm64 binary on x64), bash-completion (the completion test) and xz-utils.
 */
TEST_PACKAGES.push("minisign", "qemu-user-static", "libc6-arm64-cross", "bash-completion", "xz-utils", "curl");
/**
 * And the second stack (scripts/debian-stack.ts): docker-registry (a registry on this machine's
 * loopback to pull from), on Debian 13 its own bypass4netns, on Debian 12 what
 * builds Debian 13's pasta from its source (its binary needs glibc 2.38).
 */
const trixie = existsSync("/etc/os-release") && /^VERSION_CODENAME=trixie$/m.test(readFileSync("/etc/os-release", "utf8"));
TEST_PACKAGES.push("docker-registry", ...(trixie ? ["bypass4netns"] : ["gcc", "make", "libc6-dev", "patch"]));

/**
 * A fresh machine is often still running unattended-upgrades or cloud-init's apt when CI starts:
 * wait for dpkg's lock instead of failing at once, and retry each download.
 */
const APT_OPTIONS = ["-o", "DPkg::Lock::Timeout=300", "-o", "Acquire::Retries=3"];

function run(argv: string[]): number {
  return Bun.spawnSync(argv, { stdio: ["inherit", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).exitCode ?? 1;
}

export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((p) => !Bun.spawnSync(["dpkg-query", "-W", "-f=${Status}", p]).stdout.toString().includes("install ok installed"));
}

/** Installs what is missing (root only); exits with the apt-get command to type otherwise. */
export function ensurePackages(packages: readonly string[], tag: string): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  if (process.getuid!() !== 0) {
    console.error(`[${tag}] missing Debian packages: ${missing.join(" ")}\n[${tag}] install them: sudo apt-get install -y ${missing.join(" ")}`);
    process.exit(1);
  }
  console.log(`[${tag}] installing ${missing.join(" ")}`);
  for (let attempt = 1; ; attempt++) {
    if (run(["apt-get", ...APT_OPTIONS, "update", "-qq"]) === 0 && run(["apt-get", ...APT_OPTIONS, "install", "-y", "-qq", "--no-install-recommends", ...missing]) === 0) return;
    if (attempt === 3) break;
    console.error(`[${tag}] apt-get failed (attempt ${attempt} of 3); trying again`);
    Bun.sleepSync(attempt * 10_000); // a mirror's hiccup: back off before the next try
  }
  console.error(`[${tag}] apt-get failed`);
  process.exit(1);
}
