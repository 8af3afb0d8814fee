// The other Debian release than this machine's (13 "trixie" on a Debian 12 host, 12 "bookworm"
// on a Debian 13 host), as a root directory to run the test suite in: built with debootstrap,
// entered with a private mount namespace and pivot_root (a plain chroot is refused user
// namespaces), with its own packages (systemd, RootlessKit, containerd, ...) and the host's
// kernel. Needs root.
//
//   bun scripts/other-debian.ts test [SUITE]   clone this repository into the root and run
//                                              `npm ci && npm test -- SUITE` there (default: here)
//   bun scripts/other-debian.ts run -- CMD...  clone as for test, then run CMD in the clone (e.g.
//                                              sh -c 'npm ci && bun scripts/build.ts && npx bun test test/e2e/check.test.ts')
//   bun scripts/other-debian.ts shell          a shell in the root
//   bun scripts/other-debian.ts path           where the root is (built when missing)
//
// The root is kept under /var/tmp/crs-other-debian/ between runs (a fresh machine builds it:
// about a minute for debootstrap, then its packages). CRS_OTHER_DEBIAN=trixie|bookworm picks
// the release; CRS_OTHER_DEBIAN_DIR the directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { closingLine, runTee } from "./tee.ts";

const OTHER: Record<string, string> = { bookworm: "trixie", trixie: "bookworm" };
const NUMBER: Record<string, string> = { bookworm: "12", trixie: "13" };
/** What the root needs before it can run the README's test command (which installs the rest). */
const BASE_PACKAGES = ["ca-certificates", "git", "nodejs", "npm"];
/** Bumped when the recipe below changes, so that a kept root is rebuilt. */
const RECIPE = "2";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const REPO = join(import.meta.dir, "..");

function sh(argv: string[], opts: { cwd?: string; quiet?: boolean } = {}): number {
  const p = Bun.spawnSync(argv, { cwd: opts.cwd, stdio: ["inherit", opts.quiet ? "ignore" : "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" } });
  return p.exitCode ?? 1;
}

function must(argv: string[], opts: { cwd?: string; quiet?: boolean } = {}): void {
  if (sh(argv, opts) !== 0) throw new Error(`${argv.join(" ")} failed`);
}

function osRelease(root = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`${root}/etc/os-release`, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
    if (m) out[m[1]!] = m[3]!;
  }
  return out;
}

/** The release to build: the other one than this machine's. */
export function otherRelease(): string {
  const chosen = process.env.CRS_OTHER_DEBIAN;
  if (chosen) {
    if (!NUMBER[chosen]) throw new Error(`CRS_OTHER_DEBIAN=${chosen}: expected one of ${Object.keys(NUMBER).join(", ")}`);
    return chosen;
  }
  const here = osRelease().VERSION_CODENAME ?? "";
  const other = OTHER[here];
  if (!other) throw new Error(`this machine is not Debian 12 or 13 (VERSION_CODENAME=${here || "?"}); set CRS_OTHER_DEBIAN=trixie or bookworm`);
  return other;
}

/** The Debian mirror this machine's apt uses (one-line or deb822 sources), for debootstrap. */
export function debianMirror(): string {
  const files = ["/etc/apt/sources.list", ...(existsSync("/etc/apt/sources.list.d") ? readdirSync("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`) : [])];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, "utf8");
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(text);
    if (oneLine) return oneLine[1]!;
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1]!;
  }
  return "http://deb.debian.org/debian";
}

const rootDir = (release: string) => join(process.env.CRS_OTHER_DEBIAN_DIR ?? "/var/tmp/crs-other-debian", release);

/**
 * The shell script that enters ROOT ($0) and runs "$@" there: a private mount namespace (so
 * nothing leaks to the host), the host's /proc, /sys (with its cgroup file systems) and /dev, a
 * fresh tmpfs on /run, then pivot_root and chroot into it with a clean environment; its / is
 * shared again (within this namespace), as on a systemd host, where RootlessKit's child mounts
 * propagate rslave.
 */
const ENTER = `set -e
R=$0
mount --bind "$R" "$R"
mount --rbind /proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
cp /etc/resolv.conf "$R/etc/resolv.conf"
cd "$R"
mkdir -p .host
pivot_root . .host
umount -l /.host
mount --make-rshared /
exec chroot . "$@"`;

/** The environment inside: a clean one, with the host's proxy variables (a machine behind a proxy) and the e2e users' suffix. */
function insideEnv(): string[] {
  const env = [`PATH=${PATH}`, "HOME=/root", "LANG=C.UTF-8", `TERM=${process.env.TERM ?? "dumb"}`, "DEBIAN_FRONTEND=noninteractive"];
  for (const [k, v] of Object.entries(process.env)) if ((/^(https?|no|all)_proxy$/i.test(k) || k === "CRS_E2E_SUFFIX") && v) env.push(`${k}=${v}`);
  return env;
}

const enterArgv = (root: string, argv: string[]) => ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", ENTER, root, "env", "-i", ...insideEnv(), ...argv];

/** Runs argv inside the root, its output passed through; returns the exit code. */
async function runInside(root: string, argv: string[]): Promise<number> {
  return Bun.spawn(enterArgv(root, argv), { stdio: ["inherit", "inherit", "inherit"] }).exited;
}

/** Moves the root's ids away from the host's: its users never share a uid (and so a cgroup path) with the host's. */
function separateIds(root: string): void {
  const file = join(root, "etc/login.defs");
  const moved: Record<string, string> = { UID_MIN: "30000", UID_MAX: "39999", GID_MIN: "30000", GID_MAX: "39999", SUB_UID_MIN: "300000000", SUB_GID_MIN: "300000000" };
  const text = readFileSync(file, "utf8").replace(/^(UID_MIN|UID_MAX|GID_MIN|GID_MAX|SUB_UID_MIN|SUB_GID_MIN)\s.*$/gm, (_, k: string) => `${k}\t\t${moved[k]}`);
  writeFileSync(file, text);
}

/** The host's extra CA certificates and npm settings (a TLS-inspecting proxy), and apt's proxy settings. */
function copyHostTrust(root: string): void {
  const cas = "/usr/local/share/ca-certificates";
  if (existsSync(cas)) for (const f of readdirSync(cas)) if (statSync(join(cas, f)).isFile()) copyFileSync(join(cas, f), join(root, "usr/local/share/ca-certificates", f));
  const npmrc = ["/root/.npmrc", "/etc/npmrc", "/usr/etc/npmrc"].filter(existsSync).map((f) => readFileSync(f, "utf8")).join("\n");
  writeFileSync(join(root, "root/.npmrc"), npmrc.replace(/^cafile\s*=.*$/gm, "") + "\ncafile=/etc/ssl/certs/ca-certificates.crt\n");
  const aptConf = "/etc/apt/apt.conf.d";
  if (existsSync(aptConf)) for (const f of readdirSync(aptConf)) if (/proxy/i.test(readFileSync(join(aptConf, f), "utf8"))) copyFileSync(join(aptConf, f), join(root, "etc/apt/apt.conf.d", f));
}

/** The root of `release`, built when missing (or built by an older recipe). Returns its path. */
export async function ensureRoot(release: string): Promise<string> {
  const dir = rootDir(release);
  const root = join(dir, "root");
  const stamp = join(dir, "recipe");
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === RECIPE && existsSync(join(root, "usr/bin/npm"))) return root;
  if (sh(["which", "debootstrap"], { quiet: true }) !== 0) must(["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "debootstrap"]);
  const building = join(dir, "building");
  rmSync(building, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  console.log(`[other-debian] building a Debian ${NUMBER[release]} (${release}) root in ${root} from ${debianMirror()}`);
  must(["debootstrap", "--variant=minbase", release, building, debianMirror()], { quiet: true });
  separateIds(building);
  const apt = ["apt-get", "-o", "Acquire::Retries=3", "-qq"];
  if ((await runInside(building, [...apt, "update"])) !== 0 || (await runInside(building, [...apt, "install", "-y", "--no-install-recommends", ...BASE_PACKAGES])) !== 0) throw new Error(`installing ${BASE_PACKAGES.join(" ")} in the ${release} root failed`);
  copyHostTrust(building);
  if ((await runInside(building, ["update-ca-certificates"])) !== 0) throw new Error("update-ca-certificates failed in the root");
  renameSync(building, root);
  writeFileSync(stamp, RECIPE + "\n");
  console.log(`[other-debian] root ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return root;
}

/**
 * Clones this repository into the root at the state of the working tree (uncommitted changes to
 * tracked files included, through `git stash create`) and returns the path inside the root.
 */
function cloneInto(root: string): string {
  // one clone per checkout, so that two checkouts (worktrees) can use the root at the same time
  const inside = `/root/crs-${new Bun.CryptoHasher("sha256").update(REPO).digest("hex").slice(0, 8)}`;
  const dest = join(root, inside);
  rmSync(dest, { recursive: true, force: true });
  const head = Bun.spawnSync(["git", "stash", "create"], { cwd: REPO }).stdout.toString().trim() || "HEAD";
  must(["git", "clone", "-q", "--no-checkout", REPO, dest]);
  must(["git", "fetch", "-q", REPO, head], { cwd: dest });
  must(["git", "checkout", "-q", "--detach", "FETCH_HEAD"], { cwd: dest });
  return inside;
}

/** Runs the README's test command (SUITE of it) in the other release's root; returns [passed, failed, exit code]. */
export async function testOtherDebian(suite = "here"): Promise<[number, number, number]> {
  const release = otherRelease();
  const started = performance.now();
  const root = await ensureRoot(release);
  const repo = cloneInto(root);
  console.log(`\n[other-debian] Debian ${NUMBER[release]} (${osRelease(root).VERSION ?? release}): npm ci && npm test -- ${suite}`);
  const { code, out } = await runTee(enterArgv(root, ["sh", "-c", `cd ${repo} && npm ci --no-audit --no-fund && npm test -- ${suite}`]));
  const [passed, failed] = closingLine(out) ?? [0, 0];
  console.log(`[other-debian] Debian ${NUMBER[release]} finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return [passed, failed, code || (closingLine(out) ? 0 : 1)];
}

async function cli(argv: string[]): Promise<number> {
  if (process.getuid!() !== 0) {
    console.error("[other-debian] needs root (debootstrap, mount namespaces): run it with sudo");
    return 1;
  }
  const [verb = "test", ...rest] = argv;
  if (verb === "test") {
    const [passed, failed, code] = await testOtherDebian(rest[0]);
    console.log(`\n${passed} passed, ${failed} failed`);
    return code !== 0 || failed > 0 ? 1 : 0;
  }
  if (verb === "run") {
    const root = await ensureRoot(otherRelease());
    const cmd = rest[0] === "--" ? rest.slice(1) : rest;
    return runInside(root, ["sh", "-c", 'cd "$0" && exec "$@"', cloneInto(root), ...cmd]);
  }
  if (verb === "shell") return runInside(await ensureRoot(otherRelease()), ["bash", "-l"]);
  if (verb === "path") return console.log(await ensureRoot(otherRelease())), 0;
  console.error("usage: bun scripts/other-debian.ts test [SUITE] | run -- CMD... | shell | path");
  return 2;
}

if (import.meta.main) process.exitCode = await cli(process.argv.slice(2));
