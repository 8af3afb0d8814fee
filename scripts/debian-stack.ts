// Real programs of a Debian release for the tests, on a machine of either release: Debian 13's
// RootlessKit 2.0.2, containerd 1.7.24, bypass4netns 0.4.1 and pasta on a Debian 12 host (the
// "second stack"), and Debian 12's RootlessKit 1.1.0 and containerd 1.6.20 on a Debian 13
// host. On the machine's own release the installed packages are
// used (`npm test` installs them); for the other release the packages are fetched with
// `apt-get download` through a private apt directory whose source list names that release on
// the machine's mirror (apt checks them against the release's signed index), unpacked with
// `dpkg-deb -x` and cached under /var/tmp by package versions. World-readable: sandbox users
// run them.
//
// What does not load on the other release is not taken from it: Debian 13's pasta and
// slirp4netns need glibc 2.38 (Debian 12 has 2.36). pasta is then built from the same Debian 13
// source package (its orig and debian tarballs, checked against the signed Sources index; the
// package's patches applied; `make passt`, about 30 s of CPU); slirp4netns and runc stay the
// machine's own. CNI plugins are the machine's (`containernetworking-plugins`, /usr/lib/cni).
//
//   bun scripts/debian-stack.ts [trixie|bookworm]   fetch (or find) a stack and print its programs and versions
//
// (`npm test` fetches both before the e2e tests.)
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { debianMirror } from "./other-debian.ts";

export type Release = "bookworm" | "trixie";
const CACHE = "/var/tmp/crs-debian-stack";
/** Bumped when the recipe below changes, so that a cached stack is rebuilt. */
const RECIPE = "2";

/** The programs a stack offers, by the package that ships them (each taken when the release has it). */
const PACKAGES: Record<string, string[]> = {
  rootlesskit: ["rootlesskit", "rootlessctl"],
  containerd: ["containerd", "containerd-shim-runc-v2", "ctr"],
  bypass4netns: ["bypass4netns", "bypass4netnsd"], // Debian 13 only
  passt: ["pasta", "passt", "pasta.avx2", "passt.avx2"], // passt execs its .avx2 build itself where the CPU has AVX2
};
/** What every stack takes from the machine itself: helpers whose version is not what a test is about. */
const MACHINE_PROGRAMS = ["runc", "slirp4netns"];
export const CNI_DIR = "/usr/lib/cni";

export interface DebianStack {
  release: Release;
  /** the machine's own installed packages (nothing fetched) */
  local: boolean;
  /** a directory with the stack's programs (links), to put first on PATH or copy into a bundle */
  bin: string;
  /** the programs in `bin`, by name */
  programs: string[];
}

function run(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  const p = Bun.spawnSync(argv, { cwd: opts.cwd, env: { ...process.env, LC_ALL: "C", ...opts.env }, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${p.exitCode}):\n${p.stderr.toString()}${p.stdout.toString()}`);
  return p.stdout.toString();
}

/** The machine's release, from /etc/os-release. */
export function machineRelease(): Release {
  const codename = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
  if (codename !== "bookworm" && codename !== "trixie") throw new Error(`this machine is not Debian 12 or 13 (VERSION_CODENAME=${codename ?? "?"})`);
  return codename;
}

/** Creates `dir` by filling a temporary sibling and renaming it (a concurrent run loses the rename harmlessly). */
function atomically(dir: string, fill: (tmp: string) => void): void {
  if (existsSync(dir)) return;
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  chmodSync(CACHE, 0o755);
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    fill(tmp);
    chmodSync(tmp, 0o755);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(dir)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

type Apt = (tool: "apt-get" | "apt-cache", args: string[], cwd?: string) => string;

/** apt-get and apt-cache with a private state for `release`: its own source list (binary and source), lists and cache. */
function aptFor(release: Release, refresh = false): Apt {
  const dir = join(CACHE, `apt-${release}`);
  const options = (d: string) => [
    "-o", `Dir::Etc::sourcelist=${join(d, "sources.list")}`, "-o", "Dir::Etc::sourceparts=/nonexistent", "-o", `Dir::State::Lists=${join(d, "lists")}`,
    "-o", `Dir::Cache=${join(d, "cache")}`, "-o", "Dir::State::status=/dev/null", "-o", "Acquire::Retries=3", "-o", "APT::Sandbox::User=root", "-qq",
  ];
  atomically(dir, (tmp) => {
    for (const d of ["lists/partial", "cache/archives/partial"]) mkdirSync(join(tmp, d), { recursive: true });
    const mirror = debianMirror();
    writeFileSync(join(tmp, "sources.list"), `deb ${mirror} ${release} main\ndeb-src ${mirror} ${release} main\n`);
    run(["apt-get", ...options(tmp), "update"]);
  });
  // a day-old index is read again (a point release moves the versions; the old files leave the mirror)
  if (refresh && Date.now() - statSync(join(dir, "lists")).mtimeMs > 86_400_000) run(["apt-get", ...options(dir), "update"]);
  return (tool, args, cwd) => run([tool, ...options(dir), ...args], { cwd });
}

/** Each package's candidate version in `release` (absent: the release has no such package). */
function versions(apt: Apt, packages: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const policy = apt("apt-cache", ["policy", ...packages]);
  for (const m of policy.matchAll(/^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)$/gm)) if (m[2] !== "(none)") out[m[1]!] = m[2]!;
  return out;
}

/**
 * `make` of passt from the release's passt source package, with its Debian patches: passt, and
 * on x86_64 passt.avx2 (which passt execs itself when the CPU has AVX2, as Debian's package
 * ships both). Returns the names built, in `into`.
 */
function buildPasst(apt: Apt, version: string, into: string): string[] {
  const work = join(into, "passt-src");
  mkdirSync(work, { recursive: true });
  // the .dsc is not always on the mirror; the tarballs are, and --print-uris gives their SHA-256 from the signed Sources index
  const uris = apt("apt-get", ["--print-uris", "source", `passt=${version}`]).split("\n").map((l) => /^'([^']+)' (\S+) \d+ SHA256:([0-9a-f]{64})$/.exec(l)).filter((m) => m && !m[2]!.endsWith(".dsc"));
  if (uris.length < 2) throw new Error(`no source tarballs for passt ${version}`);
  for (const m of uris) {
    run(["curl", "-fsSL", "--retry", "3", "-o", join(work, m![2]!), m![1]!]);
    const sum = run(["sha256sum", join(work, m![2]!)]).split(" ")[0];
    if (sum !== m![3]) throw new Error(`${m![2]}: SHA-256 ${sum}, the Sources index says ${m![3]}`);
  }
  const files = readdirSync(work);
  run(["tar", "-xf", files.find((f) => f.includes(".orig.tar."))!, "--strip-components=1"], { cwd: work });
  run(["tar", "-xf", files.find((f) => f.includes(".debian.tar."))!], { cwd: work });
  const series = join(work, "debian/patches/series");
  for (const patch of existsSync(series) ? readFileSync(series, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")) : []) {
    run(["patch", "-p1", "-s", "-i", join("debian/patches", patch.trim())], { cwd: work });
  }
  const targets = process.arch === "x64" ? ["passt", "passt.avx2"] : ["passt"];
  run(["nice", "make", "-j2", ...targets, `VERSION=${version}`], { cwd: work });
  for (const t of targets) renameSync(join(work, t), join(into, t));
  rmSync(work, { recursive: true, force: true });
  return targets;
}

/** Does this program start here (its shared libraries and their symbol versions are found)? */
function loadsHere(program: string): boolean {
  return Bun.spawnSync([program, "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/**
 * The release's packages fetched and unpacked (cached by their versions); returns the unpacked
 * root and versions. The versions are asked of the release's index only with `refresh` (or the
 * first time): a stable release's versions seldom change, and `npm test` refreshes once per run.
 */
export function fetchPackages(release: Release, packages: string[], refresh = false): { root: string; versions: Record<string, string> } {
  const last = join(CACHE, `${release}-${new Bun.CryptoHasher("sha256").update(packages.join(" ")).digest("hex").slice(0, 8)}.last`);
  const kept = existsSync(last) ? readFileSync(last, "utf8").trim() : "";
  if (!refresh && kept && existsSync(join(kept, "versions.json"))) return { root: join(kept, "root"), versions: JSON.parse(readFileSync(join(kept, "versions.json"), "utf8")) };
  const apt = aptFor(release, refresh);
  const found = versions(apt, packages);
  const key = new Bun.CryptoHasher("sha256").update(RECIPE + JSON.stringify(found)).digest("hex").slice(0, 16);
  const dir = join(CACHE, `${release}-${key}`);
  atomically(dir, (tmp) => {
    const debs = join(tmp, "debs");
    mkdirSync(debs);
    apt("apt-get", ["download", ...Object.entries(found).map(([p, v]) => `${p}=${v}`)], debs);
    for (const deb of readdirSync(debs)) run(["dpkg-deb", "-x", join(debs, deb), join(tmp, "root")]);
    rmSync(debs, { recursive: true });
    const pasta = join(tmp, "root/usr/bin/pasta");
    if (found.passt && existsSync(pasta) && !loadsHere(pasta)) {
      const usrBin = join(tmp, "root/usr/bin");
      for (const name of ["passt", "pasta", "passt.avx2", "pasta.avx2", "qrap", "passt-repair"]) rmSync(join(usrBin, name), { force: true });
      for (const built of buildPasst(apt, found.passt, tmp)) {
        renameSync(join(tmp, built), join(usrBin, built));
        symlinkSync(built, join(usrBin, built.replace("passt", "pasta"))); // pasta is passt called by that name
      }
    }
    writeFileSync(join(tmp, "versions.json"), JSON.stringify(found, null, 2) + "\n");
  });
  writeFileSync(`${last}.tmp-${process.pid}`, `${dir}\n`);
  renameSync(`${last}.tmp-${process.pid}`, last);
  return { root: join(dir, "root"), versions: found };
}

/** Links each of `names` found in `dirs` (the first that has it) into `bin`. */
function linkPrograms(bin: string, names: string[], dirs: string[]): void {
  for (const name of names) {
    const src = dirs.map((d) => join(d, name)).find((p) => existsSync(p));
    if (src && !existsSync(join(bin, name))) symlinkSync(src, join(bin, name));
  }
}

/**
 * The programs of `release` as a directory: the machine's own packages when it runs that
 * release (they must be installed), else fetched and unpacked (see the top of this file).
 */
export function debianStack(release: Release, refresh = false): DebianStack {
  const local = release === machineRelease();
  const names = Object.values(PACKAGES).flat();
  const dirs = local ? ["/usr/bin", "/usr/sbin"] : ["usr/bin", "usr/sbin"].map((d) => join(fetchPackages(release, Object.keys(PACKAGES), refresh).root, d));
  const tag = new Bun.CryptoHasher("sha256").update([...names, "|", ...MACHINE_PROGRAMS, "|", ...dirs].join(" ")).digest("hex").slice(0, 8);
  const bin = join(CACHE, `${release}-${local ? "installed" : "fetched"}-bin-${tag}`);
  atomically(bin, (tmp) => {
    linkPrograms(tmp, names, dirs);
    linkPrograms(tmp, MACHINE_PROGRAMS, ["/usr/bin", "/usr/sbin"]);
  });
  return { release, local, bin, programs: readdirSync(bin).sort() };
}

/** Debian 13's stack (RootlessKit >= 2, containerd 1.7, bypass4netns, pasta): this machine's own on Debian 13. */
export const secondStack = () => debianStack("trixie");

/** `program --version`'s first version number (e.g. "1.7.24" from containerd's "1.7.24~ds1"). */
export function programVersion(path: string): string {
  const out = run([path, "--version"], { env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" } }); // bypass4netns panics without it
  const v = /(\d+\.\d+\.\d+)/.exec(out)?.[1];
  if (!v) throw new Error(`${path} --version said no version: ${out}`);
  return v;
}

if (import.meta.main) {
  const release = (process.argv[2] ?? "trixie") as Release;
  const started = performance.now();
  const stack = debianStack(release, true);
  console.log(`${release}${stack.local ? " (this machine's packages)" : ""}: ${stack.bin} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const p of stack.programs) console.log(`  ${p.padEnd(24)} ${/^(pass?ta?(\.avx2)?|bypass4netnsd?|containerd-shim.*)$/.test(p) ? "".padEnd(8) : programVersion(join(stack.bin, p)).padEnd(8)} -> ${run(["readlink", "-f", join(stack.bin, p)]).trim()}`);
}
