// Components for real: bundles in nerdctl-full's layout built from the Debian programs,
// served by a real HTTP server on 127.0.0.1, fetched by the compiled binary as the sandbox
// user. install -> the service runs from the bundle (/proc/PID/exe) -> upgrade to a second
// bundle -> an upgrade to a bundle whose containerd exits at once is rolled back -> remove
// refuses while the service uses the bundle. Bad input changes nothing under ~/.local and ~/.config.
import { test, expect, describe, afterAll } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync, chownSync, rmSync, chmodSync, existsSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exeOf, useSandbox } from "../helpers/e2e.ts";
import { spawnBundleServer } from "../helpers/bundle-server.ts";
import { writeBundle } from "../helpers/tarball.ts";

let dir: string;
let server: { url: string; stop(): void };
const bundles: Record<string, { name: string; sha256: string }> = {};

const e2e = useSandbox("crscomp-e2e", {
  cliTimeoutMs: 120_000,
  setupTimeoutMs: 180_000,
  setup: async () => {
    dir = mkdtempSync(join(tmpdir(), "crs-bundles-e2e-"));
    chmodSync(dir, 0o755);
    for (const v of ["1.0.0", "1.1.0"]) bundles[v] = writeBundle(join(dir, v), { version: v });
    bundles["1.2.0"] = writeBundle(join(dir, "1.2.0"), { version: "1.2.0", containerd: "#!/bin/sh\necho 'containerd: this build exits at once' >&2\nexit 3\n" });
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
const homeTree = () => Bun.spawnSync(["find", ".config", ".local", "-printf", "%p %y %m %s\n"], { cwd: e2e.sb.home }).stdout.toString().split("\n").sort();
/** Executables of the service's processes (RootlessKit, containerd). */
const serviceExes = () => e2e.sb.pids().map(exeOf).filter((x) => /\/(rootlesskit|containerd)$/.test(x));
const serverVersion = () => cli("nsenter", "--", "ctr", "version");

describe("components", () => {
  test("bad input (404, wrong checksum, stall, http without --insecure-http) exits 1 with the reason and changes nothing", () => {
    const before = homeTree();
    const cases: [string[], RegExp][] = [
      [["--from", url("1.0.0", "404"), "--sha256", bundles["1.0.0"]!.sha256, "--insecure-http"], /answered HTTP 404/],
      [["--from", url("1.0.0"), "--sha256", "a".repeat(64), "--insecure-http"], /checksum mismatch/],
      [["--from", url("1.0.0", "stall"), "--sha256", bundles["1.0.0"]!.sha256, "--insecure-http", "--stall-timeout", "1", "--retries", "1"], /stalled/],
      [["--from", url("1.0.0"), "--sha256", bundles["1.0.0"]!.sha256], /refusing plain HTTP/],
    ];
    for (const [args, message] of cases) {
      const r = cli("components", "install", ...args, "--yes");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(homeTree()).toEqual(before);
    }
  });

  test("components install --from URL --sha256: verified, unpacked and active", () => {
    const r = cli("components", "install", "--from", url("1.0.0"), "--sha256", bundles["1.0.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SHA-256 ${bundles["1.0.0"]!.sha256} verified (--sha256)`);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("1.0.0");
    const s = e2e.cliJson("components", "status", "--json");
    expect(s.doc.active).toBe("1.0.0");
    const containerd = s.doc.programs.find((p: { name: string }) => p.name === "containerd");
    expect(containerd).toMatchObject({ origin: "bundle", path: `${componentsDir()}/1.0.0/bin/containerd` });
  });

  test("install runs the service from the bundle: its processes' executables are the bundle's", () => {
    const r = cli("install", "--yes");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(readFileUnit()).toContain(`${componentsDir()}/current/bin:`);
    const exes = serviceExes();
    expect(exes).toContain(`${componentsDir()}/1.0.0/bin/containerd`);
    expect(exes).toContain(`${componentsDir()}/1.0.0/bin/rootlesskit`);
    expect(serverVersion().code).toBe(0);
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

  test("components upgrade to a second bundle: the new version answers, the old one is removed", () => {
    const r = cli("components", "upgrade", "--from", url("1.1.0"), "--sha256", bundles["1.1.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Restarting containerd.service");
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("1.1.0");
    expect(serviceExes()).toContain(`${componentsDir()}/1.1.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
    expect(existsSync(`${componentsDir()}/1.0.0`)).toBe(false);
  });

  test("an upgrade to a bundle whose containerd exits at once is rolled back: old version answering, exit 1 with the reason", () => {
    const r = cli("components", "upgrade", "--from", url("1.2.0"), "--sha256", bundles["1.2.0"]!.sha256, "--insecure-http", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upgrade to 1\.2\.0 failed: containerd did not answer: .*; rolled back to 1\.1\.0, which answers again/);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("1.1.0");
    expect(existsSync(`${componentsDir()}/1.2.0`)).toBe(false);
    expect(serviceExes()).toContain(`${componentsDir()}/1.1.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
  });

  test("apply -f with [components] switches the running service to that bundle; status --export writes it back", () => {
    const file = `${e2e.sb.home}/setup.toml`;
    writeFileSync(file, `[components]\nversion = "1.0.0"\nfrom = "${url("1.0.0")}"\nsha256 = "${bundles["1.0.0"]!.sha256}"\ninsecure-http = true\n`);
    chownSync(file, e2e.sb.uid, e2e.sb.gid);
    const r = cli("apply", "-f", file, "--yes");
    expect(r.code).toBe(0);
    expect(readlinkSync(`${componentsDir()}/current`)).toBe("1.0.0");
    expect(serviceExes()).toContain(`${componentsDir()}/1.0.0/bin/containerd`);
    expect(serverVersion().code).toBe(0);
    const exported = cli("status", "--export");
    expect(exported.stdout).toContain(`sha256 = "${bundles["1.0.0"]!.sha256}"`);
    expect(cli("apply", "-f", file, "--yes", "--json").stdout).toContain('"changed": false');
  });

  test("components remove refuses while the service runs from the bundle, and works after uninstall", () => {
    const r = cli("components", "remove", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("in use by containerd.service");
    expect(existsSync(`${componentsDir()}/1.0.0/bin/containerd`)).toBe(true);
    expect(cli("uninstall", "--yes").code).toBe(0);
    const ok = cli("components", "remove", "--yes");
    expect(ok.code).toBe(0);
    expect(existsSync(componentsDir())).toBe(false);
  });
});

function readFileUnit(): string {
  return readFileSync(`${e2e.sb.home}/.config/systemd/user/containerd.service`, "utf8");
}
