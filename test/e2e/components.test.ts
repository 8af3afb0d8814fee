// Components for real: bundles in nerdctl-full's layout built from real programs — the bundle
// labelled 8.0.0 holds Debian 12's RootlessKit and containerd; the one labelled 8.1.0 holds
// Debian 13's (scripts/debian-stack.ts), both
// with the real bypass4netns of Debian 13 and both snapshotter daemons the tests build
// (scripts/go-fixtures.ts) — served by a real HTTP server on 127.0.0.1, fetched by the compiled binary as
// the sandbox user. install -> the service runs from the bundle (/proc/PID/exe) -> the stargz
// add-on runs the bundle's snapshotter -> upgrade to the other Debian's bundle changes the
// versions the service runs (read from the bundles' programs) -> the add-ons the bundle brings
// are available and work from it -> an upgrade to a bundle whose containerd exits at once is
// rolled back -> apply switches back -> remove refuses while the service uses the bundle. Bad input (HTTP errors,
// a truncated or stalled transfer, a wrong checksum, a `../` entry, an escaping symlink, a
// setuid file) exits 1 and changes nothing under ~/.local and ~/.config.
import { test, expect, describe, afterAll } from "bun:test";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, chownSync, rmSync, chmodSync, existsSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exeOf, useSandbox } from "../helpers/e2e.ts";
import { spawnBundleServer } from "../helpers/bundle-server.ts";
import { snapshotTree } from "../helpers/tree-snapshot.ts";
import { bundleEntries, makeTarGz, sha256, writeBundle, type Entry } from "../helpers/tarball.ts";
import { DEFAULT_VERSION, PINNED, bundleArch } from "../../src/core/components/release.ts";
import { buildSnapshotterDaemons } from "../../scripts/go-fixtures.ts";
import { debianStack, programVersion, secondStack } from "../../scripts/debian-stack.ts";
import { SANDBOX_PATH } from "../../scripts/sandbox.ts";

let dir: string;
let server: { url: string; stop(): void };
const bundles: Record<string, { name: string; sha256: string }> = {};
/** Tarballs the unpacker must refuse, by version: each is the small bundle plus one bad entry. */
const EVIL: Record<string, [Entry, RegExp]> = {
  "6.6.1": [{ path: "bin/../../escape", content: "x" }, /entry "bin\/..\/..\/escape" contains `..`; nothing was unpacked/],
  "6.6.2": [{ path: "bin/evil", type: "symlink", linkpath: "../../../.bashrc" }, /symbolic link to ..\/..\/..\/.bashrc, which leaves the bundle/],
  "6.6.3": [{ path: "bin/suid", mode: 0o4755, content: "#!/bin/sh\n" }, /entry "bin\/suid" has the setuid bit \(mode 4755\)/],
};

const e2e = useSandbox("crscomp-e2e", {
  cliTimeoutMs: 120_000,
  setupTimeoutMs: 300_000,
  setup: async () => {
    dir = mkdtempSync(join(tmpdir(), "crs-bundles-e2e-"));
    chmodSync(dir, 0o755);
    const snapshotters = await buildSnapshotterDaemons();
    // nerdctl-full always carries bypass4netns: both bundles get Debian 13's (Debian 12 has none)
    const bypass = ["bypass4netnsd", "bypass4netns"].map((p): Entry => ({ path: `bin/${p}`, mode: 0o755, content: readFileSync(join(secondStack().bin, p)) }));
    for (const [v, release] of [["8.0.0", "bookworm"], ["8.1.0", "trixie"]] as const) {
      const stack = debianStack(release);
      bundles[v] = writeBundle(join(dir, v), { version: v, snapshotters, programs: stack.bin, extra: stack.programs.includes("bypass4netnsd") ? [] : bypass });
    }
    bundles["8.2.0"] = writeBundle(join(dir, "8.2.0"), { version: "8.2.0", snapshotters, containerd: "#!/bin/sh\necho 'containerd: this build exits at once' >&2\nexit 3\n" });
    for (const [v, [entry]] of Object.entries(EVIL)) bundles[v] = writeBundle(join(dir, v), { version: v, tiny: true, extra: [entry] });
    // a mirror's copy under a name of its own, with a SHA256SUMS that agrees (the mirror controls both)
    const gz = makeTarGz(bundleEntries({ version: DEFAULT_VERSION, tiny: true }));
    mkdirSync(join(dir, "mirror"));
    writeFileSync(join(dir, "mirror/bundle.tar.gz"), gz);
    writeFileSync(join(dir, "mirror/SHA256SUMS"), `${sha256(gz)}  bundle.tar.gz\n`);
    bundles.mirror = { name: "bundle.tar.gz", sha256: sha256(gz) };
    server = await spawnBundleServer(dir);
  },
});
afterAll(() => {
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const cli = e2e.cli;
const url = (v: string, route = "files") => `${server.url}/${route}/${v}/${bundles[v]!.name}`;
const componentsDir = () => `${e2e.sb.home}/.local/share/containerd-rootless-systemd/components`;
/** Every path under `dirs` (default ~/.config and ~/.local) with mode, size and a hash of its bytes. */
const homeTree = (...dirs: string[]) => snapshotTree(...(dirs.length ? dirs : [".config", ".local"]).map((d) => join(e2e.sb.home, d)));
/** Executables of the service's processes (RootlessKit, containerd). */
const serviceExes = () => e2e.sb.pids().map(exeOf).filter((x) => /\/(rootlesskit|containerd)$/.test(x));
const serverVersion = () => cli("nsenter", "--", "ctr", "version");
const stargzExes = () => e2e.sb.pids().map(exeOf).filter((x) => x.endsWith("/containerd-stargz-grpc"));
/** The versions of a bundle's own RootlessKit and containerd (its unpacked programs asked), and what the service runs as status reports it. */
const bundleVersions = (v: string) => ({ rootlesskit: programVersion(`${componentsDir()}/${v}/bin/rootlesskit`), containerd: programVersion(`${componentsDir()}/${v}/bin/containerd`) });
function serviceVersions() {
  const s = e2e.cliJson("status", "--json").doc;
  return { rootlesskit: s.rootlesskit.version as string, containerd: parseVersion(s.containerd.server as string) };
}
const parseVersion = (v: string) => /^(\d+\.\d+\.\d+)/.exec(v)?.[1] ?? v;

describe("components", () => {
  test("bad input (404, wrong checksum, stall, truncated, http without --insecure-http, `../`, escaping symlink, setuid) exits 1 with the reason and changes nothing", () => {
    const before = homeTree();
    const sha = bundles["8.0.0"]!.sha256;
    const cases: [string[], RegExp][] = [
      [["--from", url("8.0.0", "404"), "--sha256", sha, "--insecure-http"], /answered HTTP 404/],
      [["--from", url("8.0.0"), "--sha256", "a".repeat(64), "--insecure-http"], /checksum mismatch/],
      [["--from", url("8.0.0", "stall"), "--sha256", sha, "--insecure-http", "--stall-timeout", "1", "--retries", "1"], /stalled/],
      [["--from", url("8.0.0", "truncate"), "--sha256", sha, "--insecure-http", "--retries", "1"], /download of .* failed after 2 attempts: the transfer from .* (broke off after \d+ bytes|was truncated)/],
      [["--from", url("8.0.0"), "--sha256", sha], /refusing plain HTTP/],
      // verified (the SHA-256 is right), then refused entry by entry
      ...Object.entries(EVIL).map(([v, [, message]]): [string[], RegExp] => [["--from", url(v), "--sha256", bundles[v]!.sha256, "--insecure-http"], message]),
    ];
    for (const [args, message] of cases) {
      const r = cli("components", "install", ...args, "--yes");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(homeTree()).toEqual(before);
    }
  });

  test("trust by identity: a pinned version from a mirror (any name, its SHA256SUMS agreeing) is checked against the pin; --sha256 overrides it, and the output says which trust was used", () => {
    const before = homeTree();
    const refused = cli("components", "install", "--from", url("mirror"), "--version", DEFAULT_VERSION, "--insecure-http", "--yes");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`checksum mismatch for ${url("mirror")}: expected ${PINNED[DEFAULT_VERSION]![bundleArch(process.arch)]} (the SHA-256 built into this binary for this version)`);
    expect(refused.stderr).toContain("needs its own --sha256");
    expect(homeTree()).toEqual(before);
    const over = e2e.cliJson("components", "install", "--from", url("mirror"), "--version", DEFAULT_VERSION, "--sha256", bundles.mirror!.sha256, "--insecure-http", "--yes", "--json");
    expect(over.code).toBe(0);
    expect(over.doc.bundle).toMatchObject({ version: DEFAULT_VERSION, trust: "--sha256", sha256: bundles.mirror!.sha256 });
    expect(cli("components", "remove", "--yes").code).toBe(0);
    // a version with no pin: the release's own SHA256SUMS, named as the weaker trust it is
    const unpinned = cli("components", "install", "--from", url("8.1.0"), "--insecure-http", "--yes");
    expect(unpinned.code).toBe(0);
    expect(unpinned.stdout).toContain(`SHA-256 ${bundles["8.1.0"]!.sha256} verified (SHA256SUMS: the release's own SHA256SUMS (proves only that the two files agree))`);
    expect(cli("components", "remove", "--yes").code).toBe(0);
  });

  test("components install --from URL --sha256: verified, unpacked and active", () => {
    const r = cli("components", "install", "--from", url("8.0.0"), "--sha256", bundles["8.0.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SHA-256 ${bundles["8.0.0"]!.sha256} verified (--sha256: the SHA-256 you gave)`);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("8.0.0");
    const s = e2e.cliJson("components", "status", "--json");
    expect(s.doc.active).toBe("8.0.0");
    const containerd = s.doc.programs.find((p: { name: string }) => p.name === "containerd");
    expect(containerd).toMatchObject({ origin: "bundle", path: `${componentsDir()}/8.0.0/bin/containerd` });
  });

  test("install runs the service from the bundle: its processes' executables are the bundle's", () => {
    const r = cli("install", "--yes");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(readFileUnit()).toContain(`${componentsDir()}/current/bin:`);
    const exes = serviceExes();
    expect(exes).toContain(`${componentsDir()}/8.0.0/bin/containerd`);
    expect(exes).toContain(`${componentsDir()}/8.0.0/bin/rootlesskit`);
    expect(serverVersion().code).toBe(0);
    expect(serviceVersions()).toEqual(bundleVersions("8.0.0"));
  });

  test("a container runs through the bundle's containerd, shim and runc (spec without cgroups, as in lifecycle.test.ts)", () => {
    const spec = JSON.parse(cli("nsenter", "--", "ctr", "-n", "default", "oci", "spec").stdout);
    delete spec.linux.resources;
    delete spec.linux.cgroupsPath;
    spec.process.terminal = false;
    spec.process.args = ["/bin/busybox", "echo", "hello from the bundle"];
    spec.root = { path: `${e2e.sb.home}/rootfs`, readonly: false };
    e2e.sb.run(["mkdir", "-p", `${e2e.sb.home}/rootfs/bin`]);
    e2e.sb.run(["cp", "/bin/busybox", `${e2e.sb.home}/rootfs/bin/busybox`]);
    e2e.sb.writeFile(`${e2e.sb.home}/spec.json`, JSON.stringify(spec));
    const r = cli("nsenter", "--", "ctr", "-n", "default", "run", "--rm", "--config", `${e2e.sb.home}/spec.json`, "crs-bundle-hello");
    expect(r.stdout).toContain("hello from the bundle");
    expect(r.code).toBe(0);
  });

  test("install stargz runs the bundle's snapshotter, usable through containerd at once; status says it came from the bundle", () => {
    const r = cli("install", "stargz", "--yes");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // no wait, no retry; a prepared snapshot (a listing is answered from containerd's metadata alone)
    const listed = cli("nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "stargz", "prepare", "crs-bundle-first");
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect(cli("nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "stargz", "rm", "crs-bundle-first").code).toBe(0);
    expect(stargzExes()).toEqual([`${componentsDir()}/8.0.0/bin/containerd-stargz-grpc`]);
    const s = e2e.cliJson("components", "status", "--json");
    const stargz = s.doc.programs.find((p: { name: string }) => p.name === "containerd-stargz-grpc");
    expect(stargz).toMatchObject({ origin: "bundle", path: `${componentsDir()}/8.0.0/bin/containerd-stargz-grpc` });
  });

  test("bad bundles offered as an upgrade leave the running one alone: same files, same processes", () => {
    // containerd's own data under ~/.local/share/containerd changes while it runs: compare the rest
    const tree = () => homeTree(".config", ".local/share/containerd-rootless-systemd");
    const before = { tree: tree(), pid: e2e.show("containerd.service", "MainPID"), stargz: e2e.show("stargz-snapshotter.service", "MainPID") };
    const cases: [string, RegExp][] = [["8.1.0", /failed after 2 attempts: the transfer from .* (broke off|was truncated)/], ...Object.entries(EVIL).map(([v, [, m]]): [string, RegExp] => [v, m])];
    for (const [v, message] of cases) {
      const r = cli("components", "upgrade", "--from", url(v, v === "8.1.0" ? "truncate" : "files"), "--sha256", bundles[v]!.sha256, "--insecure-http", "--retries", "1", "--yes");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(tree()).toEqual(before.tree);
    }
    expect({ tree: tree(), pid: e2e.show("containerd.service", "MainPID"), stargz: e2e.show("stargz-snapshotter.service", "MainPID") }).toEqual(before);
    expect(serverVersion().code).toBe(0);
  });

  test("components upgrade to the other Debian's bundle: the service runs its RootlessKit and containerd (other versions than before), the old bundle is removed", () => {
    const before = bundleVersions("8.0.0");
    const r = cli("components", "upgrade", "--from", url("8.1.0"), "--sha256", bundles["8.1.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Restarting containerd.service");
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("8.1.0");
    expect(serviceExes()).toContain(`${componentsDir()}/8.1.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
    expect(stargzExes()).toEqual([`${componentsDir()}/8.1.0/bin/containerd-stargz-grpc`]); // the add-on restarted from the new bundle
    expect(existsSync(`${componentsDir()}/8.0.0`)).toBe(false);
    const after = bundleVersions("8.1.0");
    expect(serviceVersions()).toEqual(after);
    expect(after.containerd).not.toBe(before.containerd);
    expect(after.rootlesskit).not.toBe(before.rootlesskit);
  });

  test("the add-ons the bundle brings are available from it whatever the caller's PATH, and work from it: bypass4netnsd's unit runs the bundle's, its API answers", () => {
    const listed = JSON.parse(e2e.run(["plugins", "--json"], { env: { PATH: SANDBOX_PATH } }).stdout).plugins as { id: string; available: boolean }[];
    expect(listed.find((p) => p.id === "bypass4netns")?.available).toBe(true);
    expect(listed.find((p) => p.id === "stargz")?.available).toBe(true);
    const r = e2e.run(["install", "bypass4netns", "--yes"], { env: { PATH: SANDBOX_PATH } });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("bypass4netnsd's API");
    expect(readFileSync(`${e2e.sb.home}/.config/systemd/user/bypass4netnsd.service`, "utf8")).toContain(`ExecStart=${componentsDir()}/current/bin/bypass4netnsd`);
    expect(e2e.sb.pids().map(exeOf)).toContain(`${componentsDir()}/8.1.0/bin/bypass4netnsd`);
    const api = e2e.sb.run(["curl", "-sS", "--unix-socket", `${e2e.sb.runtimeDir}/bypass4netnsd.sock`, "http://bypass4netnsd/v1/bypass"]);
    expect(api.stdout).toBe("[]");
  });

  test("an upgrade to a bundle whose containerd exits at once is rolled back: old version answering, exit 1 with the reason", () => {
    const r = cli("components", "upgrade", "--from", url("8.2.0"), "--sha256", bundles["8.2.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upgrade to 8\.2\.0 failed: containerd did not answer: .*; rolled back to 8\.1\.0, which answers again/);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("8.1.0");
    expect(existsSync(`${componentsDir()}/8.2.0`)).toBe(false);
    expect(serviceExes()).toContain(`${componentsDir()}/8.1.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
    expect(stargzExes()).toEqual([`${componentsDir()}/8.1.0/bin/containerd-stargz-grpc`]);
  });

  test("apply -f with [components] switches the running service to that bundle; status --export writes it back", () => {
    const file = `${e2e.sb.home}/setup.toml`;
    writeFileSync(file, `[components]\nversion = "8.0.0"\nfrom = "${url("8.0.0")}"\nsha256 = "${bundles["8.0.0"]!.sha256}"\ninsecure-http = true\n`);
    chownSync(file, e2e.sb.uid, e2e.sb.gid);
    const r = cli("apply", "-f", file, "--yes");
    expect(r.code).toBe(0);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("8.0.0");
    expect(serviceExes()).toContain(`${componentsDir()}/8.0.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
    expect(serviceVersions()).toEqual(bundleVersions("8.0.0")); // and back
    expect(e2e.sb.pids().map(exeOf)).toContain(`${componentsDir()}/8.0.0/bin/bypass4netnsd`); // the add-on followed the switch
    const exported = cli("status", "--export");
    expect(exported.stdout).toContain(`sha256 = "${bundles["8.0.0"]!.sha256}"`);
    expect(cli("apply", "-f", file, "--yes", "--json").stdout).toContain('"changed": false');
  });

  test("components remove refuses while the service runs from the bundle, and works after uninstall", () => {
    const r = cli("components", "remove", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the bundle is in use by .*\bcontainerd\.service/);
    expect(existsSync(`${componentsDir()}/8.0.0/bin/containerd`)).toBe(true);
    expect(cli("uninstall", "--yes").code).toBe(0);
    const ok = cli("components", "remove", "--yes");
    expect(ok.code).toBe(0);
    expect(existsSync(componentsDir())).toBe(false);
  });
});

function readFileUnit(): string {
  return readFileSync(`${e2e.sb.home}/.config/systemd/user/containerd.service`, "utf8");
}
