// The add-ons for real: the compiled binary as a throwaway user with a real `systemd --user`,
// RootlessKit and containerd. The snapshotter add-ons run their real daemons
// (scripts/go-fixtures.ts; containers through them: snapshotters.test.ts);
// bypass4netns is the real bypass4netnsd 0.4.1 of Debian 13, whose REST API starts a bypass4netns
// that takes a container's sockets to the host; BuildKit is a stand-in of v0.26.3
// (test/fixtures/buildkitd-standin; test/helpers/addon-daemons.ts puts them on PATH). Both
// snapshotters are installed together and removed in the other order (the user's CRLF
// config.toml comes back byte for byte); the registration is read back from the real
// containerd; BuildKit (a foreign buildkit.service is replaced only with a backup), bypass4netns,
// the refusals, and `uninstall` removing the add-ons before containerd.
import { test, expect, describe } from "bun:test";
import { bypass4netnsSpec } from "../helpers/bypass4netns.ts";
import { hostAddress, untilServing } from "../helpers/host-address.ts";
import { chmodSync, existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { waitFor, SANDBOX_PATH } from "../../scripts/sandbox.ts";
import { useSandbox } from "../helpers/e2e.ts";
import { snapshotTree } from "../helpers/tree-snapshot.ts";
import { installSnapshotters } from "../helpers/snapshotter-e2e.ts";
import { detachNetnsInEffect, machine } from "../helpers/machine.ts";

// comments, a blank line and CRLF line endings: all of it must survive install + uninstall
const USER_CONFIG = "# my containerd settings\r\nversion = 2\r\n\r\n[plugins]\r\n  # keep this comment\r\n";

let withStandins: string;
const e2e = useSandbox("crsae-addons", {
  setup: async () => {
    withStandins = (await installSnapshotters(e2e)).path;
    e2e.sb.writeFile(cfg(), USER_CONFIG);
    expect(Bun.spawnSync(["chown", "-R", `${e2e.sb.user}:`, `${e2e.sb.home}/.config`]).exitCode).toBe(0);
    e2e.mustRun(["install", "--yes"], { env: { PATH: withStandins }, timeoutMs: 90_000 });
  },
  setupTimeoutMs: 240_000,
});

const cfg = () => `${e2e.sb.home}/.config/containerd/config.toml`;
const confD = () => `${e2e.sb.home}/.config/containerd/conf.d`;
const unitDir = () => `${e2e.sb.home}/.config/systemd/user`;
const nerdctlToml = () => `${e2e.sb.home}/.config/nerdctl/nerdctl.toml`;
const sockets = {
  fuse: () => `${e2e.sb.runtimeDir}/containerd-fuse-overlayfs.sock`,
  stargz: () => `${e2e.sb.runtimeDir}/containerd-stargz-grpc/containerd-stargz-grpc.sock`,
  buildkit: () => `${e2e.sb.runtimeDir}/buildkit/buildkitd.sock`,
  bypass: () => `${e2e.sb.runtimeDir}/bypass4netnsd.sock`,
};

/** The installs here skip verify's probes: BuildKit's stand-in cannot build (verify.test.ts has the add-on probes). */
function cli(args: string[], path = withStandins) {
  return e2e.run(args[0]!.startsWith("install") ? [...args, "--no-verify"] : args, { env: { PATH: path }, timeoutMs: 90_000 });
}

const show = e2e.show;

/** bypass4netnsd's REST API on its socket, asked as the user with curl: [HTTP status, body]. */
function bypassApi(method: string, path: string, body?: unknown): [number, string] {
  const data = body === undefined ? [] : ["-H", "Content-Type: application/json", "-d", JSON.stringify(body)];
  const r = e2e.sb.run(["curl", "-sS", "--unix-socket", sockets.bypass(), "-X", method, ...data, "-w", "\n%{http_code}", `http://bypass4netnsd${path}`]);
  expect(r.stderr).toBe("");
  const at = r.stdout.lastIndexOf("\n");
  return [Number(r.stdout.slice(at + 1)), r.stdout.slice(0, at)];
}

/** Something accepts a connection on the unix socket (asked as the user). */
function answers(socket: string): boolean {
  return e2e.sb.run(["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])", socket]).code === 0;
}

const userNs = (pid: number | string) => readlinkSync(`/proc/${pid}/ns/user`);
const cmdline = (pid: number | string) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
/** The user namespace rootless containerd runs in (RootlessKit's child). */
const containerdNs = () => userNs(readFileSync(`${e2e.sb.runtimeDir}/containerd-rootless/child_pid`, "utf8").trim());

/** Every file under the user's config and our state dir, with its mode and a hash of its bytes. */
const snapshot = () => snapshotTree(`${e2e.sb.home}/.config`, `${e2e.sb.home}/.local/share/containerd-rootless-systemd`);

function ctrPlugins(): string {
  const r = cli(["nsenter", "--", "ctr", "plugins", "ls"]);
  expect(r.code).toBe(0);
  return r.stdout;
}

const proxyPluginRow = (id: string) => new RegExp(`^io\\.containerd\\.snapshotter\\.v1\\s+${id}\\s`, "m");

describe("add-ons", () => {
  test("plugins --json lists every add-on with its availability here, and why not", () => {
    const r = cli(["plugins", "--json"]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout).plugins as { id: string; available: boolean; reason?: string }[];
    const byId = Object.fromEntries(list.map((p) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(["buildkit", "bypass4netns", "detach-netns", "fuse-overlayfs", "stargz"]);
    // detach-netns exists where RootlessKit's --help lists --detach-netns (>= 2.0)
    const rk = machine().rootlesskit;
    expect(byId["detach-netns"]!.available).toBe(rk.help.detachNetns);
    if (!rk.help.detachNetns) expect(byId["detach-netns"]!.reason).toContain(`needs RootlessKit >= 2.0; found ${rk.version}`);
    for (const id of ["buildkit", "bypass4netns", "fuse-overlayfs", "stargz"]) expect(byId[id]!.available).toBe(true);
    // without the daemons on PATH: unavailable, naming where to get them
    const bare = JSON.parse(cli(["plugins", "--json"], SANDBOX_PATH).stdout).plugins as { id: string; available: boolean; reason?: string }[];
    const stargz = bare.find((p) => p.id === "stargz")!;
    expect(stargz.available).toBe(false);
    expect(stargz.reason).toContain("containerd/stargz-snapshotter");
    // as if "fetch nerdctl-full" were picked (`plugins --components`): what that bundle brings is available through it
    const bundled = JSON.parse(cli(["plugins", "--components", "--json"], SANDBOX_PATH).stdout).plugins as { id: string; available: boolean; via?: string }[];
    expect(bundled.find((p) => p.id === "stargz")).toMatchObject({ available: true, via: expect.stringMatching(/^nerdctl-full v\d+\.\d+\.\d+$/) });
    expect(cli(["plugins", "--components"], SANDBOX_PATH).stdout).toMatch(/^stargz +available .*\(comes with nerdctl-full v\d+\.\d+\.\d+\)$/m);
  });

  test("a missing daemon binary: clear error naming the upstream project, exit non-zero, nothing changed", () => {
    const before = snapshot();
    const r = cli(["install", "stargz", "--yes"], SANDBOX_PATH);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("containerd-stargz-grpc is not installed");
    expect(r.stderr).toContain("containerd/stargz-snapshotter (https://github.com/containerd/stargz-snapshotter/releases)");
    expect(r.stderr).toContain("CONTAINERD_SNAPSHOTTER=native");
    expect(snapshot()).toEqual(before);
    expect(show("stargz-snapshotter.service", "LoadState")).toBe("not-found");
  });

  test("detach-netns: refused naming the version and 2.0 on a RootlessKit without it (nothing changed); where it has it, installed and removed as the setting, reaching the running RootlessKit", () => {
    const before = snapshot();
    const rk = machine().rootlesskit;
    const stateDir = `${e2e.sb.runtimeDir}/containerd-rootless`;
    const override = `${unitDir()}/containerd.service.d/override.conf`;
    if (!rk.help.detachNetns) {
      const pid = show("containerd.service", "MainPID");
      const r = cli(["install", "detach-netns", "--yes"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`found ${rk.version}`);
      expect(r.stderr).toContain("RootlessKit >= 2.0");
      expect(snapshot()).toEqual(before);
      expect(show("containerd.service", "MainPID")).toBe(pid);
      return;
    }
    expect(detachNetnsInEffect(stateDir)).toBe(true); // auto
    const overrideBefore = existsSync(override) ? readFileSync(override, "utf8") : null;
    const off = cli(["uninstall", "detach-netns", "--yes"]);
    expect(off.code).toBe(0);
    expect(readFileSync(override, "utf8")).toContain('Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"');
    expect(e2e.rootlesskitArgs()).not.toContain("--detach-netns");
    expect(detachNetnsInEffect(stateDir)).toBe(false);
    const on = cli(["install", "detach-netns", "--yes"]);
    expect(on.code).toBe(0);
    expect(readFileSync(override, "utf8")).toContain('Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="true"');
    expect(e2e.rootlesskitArgs()).toContain("--detach-netns");
    expect(detachNetnsInEffect(stateDir)).toBe(true);
    expect(cli(["configure", "--reset", "detach-netns", "--yes"]).code).toBe(0);
    expect(existsSync(override) ? readFileSync(override, "utf8") : null).toBe(overrideBefore);
  }, 180_000);

  test("config.toml unreadable, or its directory read-only: refused with the fix, no stack trace, nothing changed", () => {
    const dir = `${e2e.sb.home}/.config/containerd`;
    for (const [path, mode, said] of [[cfg(), 0o000, "chmod u+r"], [dir, 0o555, "chmod u+w"]] as const) {
      const before = snapshot();
      chmodSync(path, mode);
      try {
        const r = cli(["install", "stargz", "--yes"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(said);
        expect(r.stderr).toContain("Nothing was changed.");
        expect(r.stderr).not.toContain("unexpected failure");
      } finally {
        chmodSync(path, path === dir ? 0o755 : 0o644);
      }
      expect(snapshot()).toEqual(before);
    }
    expect(show("stargz-snapshotter.service", "LoadState")).toBe("not-found");
  });

  test("install fuse-overlayfs stargz: units active in containerd's namespace, sockets answer, containerd restarted once, registered", () => {
    const before = show("containerd.service", "MainPID");
    const r = cli(["install", "fuse-overlayfs", "stargz", "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("containerd.service will be restarted");
    expect(r.stdout.match(/\[INFO\] Restart containerd\.service\n/g)).toHaveLength(1);
    expect(show("containerd.service", "MainPID")).not.toBe(before);
    const ns = containerdNs();
    for (const [unit, socket, daemon] of [
      ["containerd-fuse-overlayfs.service", sockets.fuse(), "containerd-fuse-overlayfs-grpc"],
      ["stargz-snapshotter.service", sockets.stargz(), "containerd-stargz-grpc"],
    ] as const) {
      expect(show(unit, "ActiveState")).toBe("active");
      expect(answers(socket)).toBe(true);
      // nsenter replaced itself: the unit's main process is the daemon, inside containerd's user namespace
      const pid = show(unit, "MainPID");
      expect(cmdline(pid)).toContain(daemon);
      expect(userNs(pid)).toBe(ns);
      const text = readFileSync(join(unitDir(), unit), "utf8");
      expect(text).toContain("PartOf=containerd.service");
      expect(text).toContain("After=containerd.service");
    }
    const config = readFileSync(cfg(), "utf8");
    expect(config).toBe(USER_CONFIG.replace("version = 2\r\n", `version = 2\r\nimports = ["${confD()}/*.toml"] # add-on drop-ins, managed by containerd-rootless-systemd\r\n`));
    expect(readdirSync(confD()).sort()).toEqual(["fuse-overlayfs.toml", "stargz.toml"]);
    // what the real containerd reports after the restart: both snapshotters are registered as proxy plugins
    const plugins = ctrPlugins();
    expect(plugins).toMatch(proxyPluginRow("fuse-overlayfs"));
    expect(plugins).toMatch(proxyPluginRow("stargz"));
    const dump = cli(["nsenter", "--", "containerd", "config", "dump"]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain(`[proxy_plugins.fuse-overlayfs]\n    address = "${sockets.fuse()}"`);
    expect(dump.stdout).toContain(`[proxy_plugins.stargz]\n    address = "${sockets.stargz()}"`);
    expect(readFileSync(nerdctlToml(), "utf8")).toMatch(/^snapshotter = "stargz"/m);
    expect(r.stdout).toContain("export CONTAINERD_SNAPSHOTTER=stargz");
  }, 90_000);

  test("containerd restarted out of band: the add-ons follow it without a crash loop", async () => {
    const restarts = (u: string) => show(u, "NRestarts");
    const before = { fuse: restarts("containerd-fuse-overlayfs.service"), stargz: restarts("stargz-snapshotter.service") };
    const oldPid = show("stargz-snapshotter.service", "MainPID");
    expect(e2e.sb.systemctl("restart", "containerd.service").code).toBe(0);
    await waitFor("the snapshotters back after containerd's restart", () => show("stargz-snapshotter.service", "MainPID") !== oldPid && answers(sockets.stargz()) && answers(sockets.fuse()), 30_000, 50);
    expect(restarts("containerd-fuse-overlayfs.service")).toBe(before.fuse);
    expect(restarts("stargz-snapshotter.service")).toBe(before.stargz);
    expect(userNs(show("stargz-snapshotter.service", "MainPID"))).toBe(containerdNs());
  }, 60_000);

  test("removed in the other order (stargz, then the seed's uninstall-fuse-overlayfs): config.toml byte-identical, units gone", () => {
    const a = cli(["uninstall", "stargz", "--yes"]);
    expect(a.code).toBe(0);
    expect(readdirSync(confD())).toEqual(["fuse-overlayfs.toml"]);
    expect(readFileSync(nerdctlToml(), "utf8")).toMatch(/^snapshotter = "fuse-overlayfs"/m);
    expect(ctrPlugins()).not.toMatch(proxyPluginRow("stargz"));
    const b = cli(["uninstall-fuse-overlayfs", "--yes"]);
    expect(b.code).toBe(0);
    expect(readFileSync(cfg(), "utf8")).toBe(USER_CONFIG);
    expect(existsSync(confD())).toBe(false);
    expect(existsSync(nerdctlToml())).toBe(false);
    for (const unit of ["containerd-fuse-overlayfs.service", "stargz-snapshotter.service"]) {
      expect(existsSync(join(unitDir(), unit))).toBe(false);
      expect(show(unit, "LoadState")).toBe("not-found");
    }
    expect(answers(sockets.fuse())).toBe(false);
    expect(answers(sockets.stargz())).toBe(false);
    const plugins = ctrPlugins();
    expect(plugins).not.toMatch(proxyPluginRow("fuse-overlayfs"));
    expect(show("containerd.service", "ActiveState")).toBe("active");
  }, 90_000);

  test("a buildkit.service left by the reference installer: shown as a diff and kept by --dry-run; replaced with --yes and kept as a backup", () => {
    const theirs = "[Unit]\nDescription=BuildKit (Rootless)\n\n[Service]\nExecStart=/usr/local/bin/containerd-rootless-setuptool.sh nsenter -- buildkitd\n";
    e2e.sb.writeFile(join(unitDir(), "buildkit.service"), theirs);
    const status = cli(["status"]);
    expect(status.stdout).toMatch(/^  buildkit +not installed/m);
    const dry = cli(["install-buildkit", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout + dry.stderr).toContain("buildkit.service was not written by this tool");
    expect(dry.stdout).toContain("-ExecStart=/usr/local/bin/containerd-rootless-setuptool.sh nsenter -- buildkitd");
    expect(readFileSync(join(unitDir(), "buildkit.service"), "utf8")).toBe(theirs);
    const r = cli(["install-buildkit", "--yes"]);
    expect(r.code).toBe(0);
    const kept = /kept as (\S+)\./.exec(r.stdout + r.stderr)?.[1];
    expect(kept).toBeDefined();
    expect(readFileSync(kept!, "utf8")).toBe(theirs);
    expect(cli(["uninstall", "buildkit", "--yes"]).code).toBe(0);
    expect(existsSync(join(unitDir(), "buildkit.service"))).toBe(false);
  }, 90_000);

  test("install-buildkit: OCI worker inside containerd's namespace, answering gRPC; status shows it", () => {
    const r = cli(["install-buildkit", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`buildkit.service (buildkitd's gRPC API (${sockets.buildkit()})) answered after`);
    expect(r.stdout).toContain(`buildkitd listens on unix://${sockets.buildkit()}`);
    expect(answers(sockets.buildkit())).toBe(true);
    const pid = show("buildkit.service", "MainPID");
    expect(cmdline(pid)).toContain("buildkitd --oci-worker=true --oci-worker-rootless=true --containerd-worker=false --oci-worker-net=bridge");
    expect(userNs(pid)).toBe(containerdNs());
    const status = cli(["status"]);
    expect(status.stdout).toMatch(/^  buildkit +installed, active/m);
    expect(status.stdout).toMatch(/^  stargz +not installed$/m);
  }, 60_000);

  test("install buildkit --worker=containerd --namespace=default: its own unit, socket and flags", () => {
    const r = cli(["install", "buildkit", "--worker=containerd", "--namespace=default", "--yes"]);
    expect(r.code).toBe(0);
    const socket = `${e2e.sb.runtimeDir}/buildkit-default/buildkitd.sock`;
    expect(answers(socket)).toBe(true);
    const pid = show("default-buildkit.service", "MainPID");
    expect(cmdline(pid)).toContain("--oci-worker=false --containerd-worker=true --containerd-worker-rootless=true --containerd-worker-net=bridge");
    expect(cmdline(pid)).toContain("--containerd-worker-namespace=default");
    expect(show("buildkit.service", "ActiveState")).toBe("active");
    // a flag no named add-on takes is a usage error, nothing changed
    const before = snapshot();
    const bad = cli(["install", "stargz", "--worker=oci", "--yes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--worker applies to none of: stargz");
    expect(snapshot()).toEqual(before);
  }, 60_000);

  test("bypass4netns (the seed's install-bypass4netnsd): on the host, not part of containerd, with both hints when nerdctl is absent", () => {
    const r = cli(["install-bypass4netnsd", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`bypass4netnsd.service (bypass4netnsd's API (${sockets.bypass()})) answered after`);
    expect(r.stdout).toContain("--annotation nerdctl/bypass4netns=true");
    expect(r.stdout).toContain("--label nerdctl/bypass4netns=true");
    const text = readFileSync(join(unitDir(), "bypass4netnsd.service"), "utf8");
    expect(text).not.toContain("PartOf=");
    expect(text).not.toContain("nsenter");
    expect(answers(sockets.bypass())).toBe(true);
    const manager = e2e.sb.run(["pgrep", "-u", String(e2e.sb.uid), "-x", "systemd"]).stdout.trim().split("\n")[0]!;
    expect(userNs(show("bypass4netnsd.service", "MainPID"))).toBe(userNs(manager));
    expect(userNs(show("bypass4netnsd.service", "MainPID"))).not.toBe(containerdNs());
  }, 60_000);

  test("the real bypass4netnsd's REST API: a bypass it starts takes a container's connect() to the host, which the container's own network namespace cannot reach; DELETE stops it", async () => {
    const [listed, none] = bypassApi("GET", "/v1/bypass");
    expect([listed, JSON.parse(none)]).toEqual([200, []]);
    const socket = `${e2e.sb.runtimeDir}/bypass4netns-crs-e2e.sock`;
    const [created, body] = bypassApi("POST", "/v1/bypass", { id: "crs-e2e", socketPath: socket, ignoreSubnets: ["127.0.0.0/8"] });
    expect(created).toBe(201);
    const started = JSON.parse(body) as { id: string; pid: number };
    expect(started.id).toBe("crs-e2e");
    expect(cmdline(started.pid)).toContain(`--socket=${socket}`);
    expect(readlinkSync(`/proc/${started.pid}/exe`)).toEndWith("/bypass4netns");
    // a web server on this machine's own address, which a container with only a loopback (ctr's default network namespace) cannot reach
    const address = hostAddress();
    const www = join(e2e.sb.home, "www-bypass");
    e2e.sb.writeFile(join(www, "index.html"), "hello through bypass4netns\n");
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const httpd = Bun.spawn(["busybox", "httpd", "-f", "-p", `${address}:${port}`, "-h", www], { stdout: "ignore", stderr: "ignore" });
    try {
      await untilServing(`http://${address}:${port}/index.html`);
      const rootfs = join(e2e.sb.home, "rootfs-bypass");
      e2e.sb.run(["mkdir", "-p", `${rootfs}/bin`]);
      e2e.sb.run(["cp", "/bin/busybox", `${rootfs}/bin/busybox`]);
      const base = JSON.parse(cli(["nsenter", "--", "ctr", "-n", "default", "oci", "spec"]).stdout);
      const wget = ["/bin/busybox", "wget", "-q", "-O-", `http://${address}:${port}/index.html`];
      const run = (id: string, listener?: string) => {
        e2e.sb.writeFile(join(e2e.sb.home, `${id}.json`), JSON.stringify(bypass4netnsSpec(base, rootfs, wget, listener)));
        return cli(["nsenter", "--", "ctr", "-n", "default", "run", "--rm", "--config", join(e2e.sb.home, `${id}.json`), id]);
      };
      const plain = run("crs-no-bypass");
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toContain("Network is unreachable");
      const bypassed = run("crs-bypass", socket);
      expect(bypassed.stderr).toBe("");
      expect(bypassed.stdout).toBe("hello through bypass4netns\n");
      expect(bypassed.code).toBe(0);
    } finally {
      httpd.kill();
    }
    expect(bypassApi("DELETE", "/v1/bypass/crs-e2e")[0]).toBe(200);
    expect(existsSync(`/proc/${started.pid}`)).toBe(false);
    expect(JSON.parse(bypassApi("GET", "/v1/bypass")[1])).toEqual([]);
  }, 90_000);

  test("uninstall with no add-on named: every add-on (even a stopped one) goes before containerd; the user's config stays", () => {
    expect(cli(["install", "fuse-overlayfs", "--yes"]).code).toBe(0);
    // a stopped add-on (socket not answering) is still ours to remove
    expect(e2e.sb.systemctl("stop", "bypass4netnsd.service").code).toBe(0);
    const r = cli(["uninstall", "--yes"]);
    expect(r.code).toBe(0);
    const containerdAt = r.stdout.indexOf("[INFO] Stop containerd.service");
    expect(containerdAt).toBeGreaterThan(0);
    for (const unit of ["buildkit.service", "default-buildkit.service", "containerd-fuse-overlayfs.service", "bypass4netnsd.service"]) {
      const at = r.stdout.indexOf(`Stop and disable ${unit}`);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(containerdAt);
      expect(existsSync(join(unitDir(), unit))).toBe(false);
    }
    expect(r.stdout).not.toContain("restart containerd.service");
    expect(readFileSync(cfg(), "utf8")).toBe(USER_CONFIG);
    expect(existsSync(confD())).toBe(false);
    expect(readdirSync(unitDir()).filter((f) => f.endsWith(".service"))).toEqual([]);
    expect(e2e.sb.pids().map((p) => { try { return cmdline(p); } catch { return ""; } }).filter((c) => /buildkitd|grpc|bypass4netns|containerd /.test(c))).toEqual([]);
  }, 90_000);
});
