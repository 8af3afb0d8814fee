// `configure` for real: the compiled binary changes RootlessKit's MTU in override.conf,
// containerd is restarted and RootlessKit runs with it; a value the installed RootlessKit
// cannot honour (what its --help does not list: detach-netns before 2.0, pasta before 2.0,
// gvisor-tap-vsock before 3.0) is refused with nothing changed. The expectations come from the
// machine (test/helpers/machine.ts): Debian 12's RootlessKit 1.1 takes one branch, Debian 13's 2.0 the other.
import { test, expect } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { useSandbox } from "../helpers/e2e.ts";
import { detachNetnsInEffect, machine } from "../helpers/machine.ts";

const e2e = useSandbox("crsrk-e2e-conf", { setup: (e) => void e.mustRun(["install", "--yes"], { timeoutMs: 60_000 }), setupTimeoutMs: 90_000 });
const override = () => join(e2e.sb.home, ".config/systemd/user/containerd.service.d/override.conf");
const rootlesskitArgs = e2e.rootlesskitArgs;

test("configure --mtu 1500: written, restarted, RootlessKit runs with MTU 1500; --show says drop-in", () => {
  expect(rootlesskitArgs()).toContain("--mtu=65520");
  const r = e2e.run(["configure", "--mtu", "1500", "--yes"], { timeoutMs: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("[INFO] containerd.service will be restarted");
  expect(readFileSync(override(), "utf8")).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  const show = e2e.run(["configure", "--show", "--json"]);
  const mtu = JSON.parse(show.stdout).settings.find((s: { key: string }) => s.key === "mtu");
  expect(mtu).toMatchObject({ value: "1500", source: "drop-in", resolved: "1500" });
  const again = e2e.run(["configure", "--mtu", "1500", "--yes", "--json"]);
  expect(JSON.parse(again.stdout).changed).toBe(false);
}, 90_000);

test("--detach-netns true: refused naming the version and 2.0 on a RootlessKit without it; where it has it, on and off reach the running RootlessKit", () => {
  const before = readFileSync(override(), "utf8");
  const stateDir = join(e2e.sb.runtimeDir, "containerd-rootless");
  const rk = machine().rootlesskit;
  if (!rk.help.detachNetns) {
    const pid = e2e.show("containerd.service", "MainPID");
    const r = e2e.run(["configure", "--detach-netns", "true", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--detach-netns=true needs RootlessKit >= 2.0 (--detach-netns), but the installed version is ${rk.version}`);
    expect(readFileSync(override(), "utf8")).toBe(before);
    expect(e2e.show("containerd.service", "MainPID")).toBe(pid);
    expect(detachNetnsInEffect(stateDir)).toBe(false);
  } else {
    // auto turned it on (RootlessKit >= 2.0); false and true each reach the restarted RootlessKit
    expect(rootlesskitArgs()).toContain("--detach-netns");
    expect(detachNetnsInEffect(stateDir)).toBe(true);
    const off = e2e.run(["configure", "--detach-netns", "false", "--yes"], { timeoutMs: 60_000 });
    // turning it off says what that costs (registries and proxies on the loopback out of reach), and only that
    expect(off.stderr).toStartWith("[WARNING] Without detach-netns, containerd and nerdctl's pulls, pushes and builds run in RootlessKit's network namespace");
    expect(off.stderr.trim().split("\n").length).toBe(2);
    expect(off.stderr).toContain("Turn detach-netns on, so that containerd and nerdctl use this machine's network: `containerd-rootless-systemd configure --detach-netns true`");
    expect(off.code).toBe(0);
    expect(rootlesskitArgs()).not.toContain("--detach-netns");
    expect(detachNetnsInEffect(stateDir)).toBe(false);
    const on = e2e.run(["configure", "--detach-netns", "true", "--yes"], { timeoutMs: 60_000 });
    expect(on.stderr).toBe("");
    expect(on.code).toBe(0);
    expect(readFileSync(override(), "utf8")).toBe(`${before}Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="true"\n`);
    expect(rootlesskitArgs()).toContain("--detach-netns");
    expect(detachNetnsInEffect(stateDir)).toBe(true);
    expect(e2e.run(["configure", "--reset", "detach-netns", "--yes"], { timeoutMs: 60_000 }).code).toBe(0);
  }
  expect(readFileSync(override(), "utf8")).toBe(before);
  const pid = e2e.show("containerd.service", "MainPID");
  const bad = e2e.run(["configure", "--mtu", "70000", "--yes"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("invalid --mtu=70000: out of range");
  expect(readFileSync(override(), "utf8")).toBe(before);
  expect(e2e.show("containerd.service", "MainPID")).toBe(pid);
}, 180_000);

test("a flag RootlessKit refuses: the plan engine restores the drop-in and containerd runs again with the old settings", () => {
  const before = readFileSync(override(), "utf8");
  const r = e2e.run(["configure", "--flags=--no-such-rootlesskit-flag", "--yes"], { timeoutMs: 90_000 });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("containerd did not come up with the new settings");
  expect(r.stderr).toContain(`the previous ${override()} was restored and containerd restarted with it`);
  expect(r.stderr).toContain(`[WARNING] Undoing: restore ${override()}`);
  expect(readFileSync(override(), "utf8")).toBe(before);
  // the late undo restarted it with the old drop-in: it comes back on its own
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim() === "active" && rootlesskitArgs().includes("--mtu=1500"))) Bun.sleepSync(100);
  expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  expect(rootlesskitArgs()).not.toContain("--no-such-rootlesskit-flag");
}, 120_000);

test("the installed RootlessKit's --help decides: --ipv6 true (listed, for slirp4netns) reaches the running RootlessKit; drivers it does not list (or whose program is missing) are refused", () => {
  const before = readFileSync(override(), "utf8");
  const pid = e2e.show("containerd.service", "MainPID");
  const { version, help } = machine().rootlesskit;
  const rk = `RootlessKit ${version}`;
  const nets = help.netDrivers.filter((d) => d !== "host" && d !== "none").join(", ");
  const ports = help.portDrivers.filter((d) => d !== "host" && d !== "none").join(", ");
  const refusals: [string[], string][] = [
    [["--port-driver", "implicit"], help.portDrivers.includes("implicit") ? "--port-driver=implicit needs the pasta network driver, but the network driver is slirp4netns" : `--port-driver=implicit: the installed ${rk} does not support this port driver (it supports: ${ports})`],
  ];
  // pasta: refused where RootlessKit does not list it, or lists it and passt's `pasta` is missing (a valid choice otherwise)
  if (!help.netDrivers.includes("pasta")) refusals.push([["--net", "pasta"], `--net=pasta: the installed ${rk} does not support this network driver (it supports: ${nets}); pasta needs RootlessKit >= 2.0`]);
  else if (!Bun.which("pasta")) refusals.push([["--net", "pasta"], "--net=pasta: the program `pasta` is not installed (not found on PATH); install it or choose another driver"]);
  if (!help.netDrivers.includes("gvisor-tap-vsock")) refusals.push([["--net", "gvisor-tap-vsock"], "gvisor-tap-vsock needs RootlessKit >= 3.0"]);
  for (const [args, msg] of refusals) {
    const r = e2e.run(["configure", ...args, "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(msg);
  }
  expect(readFileSync(override(), "utf8")).toBe(before);
  expect(e2e.show("containerd.service", "MainPID")).toBe(pid);

  expect(help.ipv6Drivers).toContain("slirp4netns");
  const on = e2e.run(["configure", "--ipv6", "true", "--yes"], { timeoutMs: 60_000 });
  expect(on.stderr).toBe("");
  expect(on.code).toBe(0);
  expect(rootlesskitArgs()).toContain("--ipv6");
  const off = e2e.run(["configure", "--reset", "ipv6", "--yes"], { timeoutMs: 60_000 });
  expect(off.code).toBe(0);
  expect(rootlesskitArgs()).not.toContain("--ipv6");
  expect(readFileSync(override(), "utf8")).toBe(before);
}, 120_000);

const dropInDir = () => join(e2e.sb.home, ".config/systemd/user/containerd.service.d");

/** Polls `cond` until it holds or `ms` pass. */
function waitFor(cond: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    Bun.sleepSync(100);
  }
  return cond();
}

test("a drop-in's Environment=…STATE_DIR=%t/crs-state is honoured by the readiness wait, status and nsenter", () => {
  const dropIn = join(dropInDir(), "crsf1-state.conf");
  const stateDir = join(e2e.sb.runtimeDir, "crs-state");
  e2e.sb.writeFile(dropIn, "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/crs-state\n");
  e2e.sb.writeFile(join(e2e.sb.home, "mtu.toml"), "[settings]\nmtu = 1400\n");
  try {
    // apply restarts containerd and waits for `ctr version` through nsenter in that state dir
    const r = e2e.run(["apply", "-f", "mtu.toml", "--yes"], { timeoutMs: 90_000 });
    expect(r.stderr).not.toContain("[ERROR]");
    expect(r.code).toBe(0);
    expect(rootlesskitArgs()).toContain(`--state-dir=${stateDir}`);
    expect(existsSync(join(stateDir, "child_pid"))).toBe(true);
    const status = JSON.parse(e2e.run(["status", "--json"]).stdout);
    expect(status.rootlesskit.stateDir).toBe(stateDir);
    expect(status.containerd.answering).toBe(true);
    const ns = e2e.run(["nsenter", "--", "cat", "/proc/self/uid_map"]);
    expect(ns.stderr).toBe("");
    expect(ns.code).toBe(0);
    expect(ns.stdout.trim().split(/\s+/)[0]).toBe("0"); // root inside the namespace
  } finally {
    rmSync(dropIn, { force: true });
    e2e.sb.systemctl("daemon-reload");
    e2e.sb.systemctl("reset-failed", "containerd.service"); // this test's own restarts count toward StartLimitBurst
    e2e.sb.systemctl("restart", "containerd.service");
    // the next test starts from a settled containerd, back on the default state dir
    expect(waitFor(() => e2e.cliJson("status", "--json").doc?.containerd?.answering === true, 30_000)).toBe(true);
  }
}, 120_000);

test("EnvironmentFile= overrides Environment=: --show names the file; configuring that key is refused and nothing changes", () => {
  const envFile = join(e2e.sb.home, ".config/crsf1.env");
  const dropIn = join(dropInDir(), "crsf1-envfile.conf");
  e2e.sb.writeFile(envFile, "# the user's own\nCONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n");
  e2e.sb.writeFile(dropIn, "[Service]\nEnvironmentFile=-%h/.config/crsf1.env\nEnvironmentFile=-%h/.config/crsf1-missing.env\n");
  try {
    e2e.sb.systemctl("daemon-reload");
    e2e.sb.systemctl("reset-failed", "containerd.service"); // this test's own restarts count toward StartLimitBurst
    e2e.sb.systemctl("restart", "containerd.service");
    expect(waitFor(() => e2e.sb.systemctl("is-active", "containerd.service").stdout.trim() === "active" && rootlesskitArgs().includes("--mtu=1300"), 30_000)).toBe(true);

    const show = e2e.run(["configure", "--show"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^mtu +1300 +environment file ${envFile} \\(EnvironmentFile= in ${dropIn}\\)`, "m"));
    const mtu = JSON.parse(e2e.run(["configure", "--show", "--json"]).stdout).settings.find((s: { key: string }) => s.key === "mtu");
    expect(mtu).toMatchObject({ value: "1300", source: "environment-file", file: envFile, via: dropIn });

    const before = readFileSync(override(), "utf8");
    const pid = e2e.show("containerd.service", "MainPID");
    const r = e2e.run(["configure", "--mtu", "1500", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU is set in ${envFile} (EnvironmentFile= in ${dropIn}), which overrides ${override()}; this tool does not edit that file`);
    expect(r.stderr).toContain("Nothing was changed.");
    expect(readFileSync(override(), "utf8")).toBe(before);
    expect(readFileSync(envFile, "utf8")).toBe("# the user's own\nCONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n");
    expect(e2e.show("containerd.service", "MainPID")).toBe(pid);
  } finally {
    rmSync(dropIn, { force: true });
    e2e.sb.systemctl("daemon-reload");
  }
}, 90_000);

/** A free TCP port on the host's loopback (bound to port 0, then released). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/**
 * busybox httpd started inside RootlessKit's namespace (it daemonizes), a port opened through
 * RootlessKit's port driver with Debian's rootlessctl, and the page fetched from the host side.
 */
async function portThroughRootlessKit(driver: string): Promise<void> {
  const www = join(e2e.sb.home, "www");
  e2e.sb.writeFile(join(www, "index.html"), `hello through the ${driver} port driver\n`);
  // with detach-netns the namespace `nsenter` enters keeps the host's network: the server goes into RootlessKit's detached one
  const netns = join(e2e.sb.runtimeDir, "containerd-rootless/netns");
  const inNetwork = detachNetnsInEffect(join(e2e.sb.runtimeDir, "containerd-rootless")) ? ["nsenter", `--net=${netns}`] : [];
  const httpd = e2e.run(["nsenter", "--", ...inNetwork, "busybox", "httpd", "-p", "8080", "-h", www]);
  expect(httpd.stderr).toBe("");
  expect(httpd.code).toBe(0);
  const hostPort = freePort();
  const api = join(e2e.sb.runtimeDir, "containerd-rootless/api.sock");
  try {
    const add = e2e.sb.run(["rootlessctl", "--socket", api, "add-ports", `127.0.0.1:${hostPort}:8080/tcp`]);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const info = e2e.sb.run(["rootlessctl", "--socket", api, "info", "--json"]);
    expect(JSON.parse(info.stdout).portDriver.driver).toBe(driver);
    const res = await fetch(`http://127.0.0.1:${hostPort}/index.html`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`hello through the ${driver} port driver\n`);
  } finally {
    for (const pid of e2e.sb.pids()) {
      const cmd = (() => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { return ""; } })();
      if (cmd.startsWith("busybox\0httpd\0")) process.kill(pid);
    }
  }
}

test("a port opened through RootlessKit's builtin port driver answers from the host; after `configure --port-driver slirp4netns`, through slirp4netns too", async () => {
  e2e.sb.systemctl("reset-failed", "containerd.service"); // the earlier tests' restarts count toward StartLimitBurst
  await portThroughRootlessKit("builtin");
  const r = e2e.run(["configure", "--port-driver", "slirp4netns", "--yes"], { timeoutMs: 90_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(rootlesskitArgs()).toContain("--port-driver=slirp4netns");
  await portThroughRootlessKit("slirp4netns");
}, 120_000);

test("configure --https-proxy/--no-proxy: they reach `systemctl --user show -p Environment` and the restarted RootlessKit; a loopback proxy is called out unless detach-netns is on; a scheme-less one refused; --reset takes them away", () => {
  e2e.sb.systemctl("reset-failed", "containerd.service"); // the earlier tests' restarts count toward StartLimitBurst
  const before = readFileSync(override(), "utf8");
  const environment = () => e2e.sb.systemctl("show", "-p", "Environment", "containerd.service").stdout;
  const r = e2e.run(["configure", "--https-proxy", "http://127.0.0.1:3128", "--no-proxy", "localhost,.example.com", "--yes"], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  if (detachNetnsInEffect(join(e2e.sb.runtimeDir, "containerd-rootless"))) {
    // detach-netns on: containerd pulls from the host's network, where the host's loopback is reachable
    expect(r.stderr).toBe("");
  } else {
    expect(r.stderr).toContain("[WARNING] HTTPS_PROXY=http://127.0.0.1:3128 points at this machine's loopback, which containerd cannot reach");
    expect(r.stderr).toContain("--detach-netns true");
  }
  expect(readFileSync(override(), "utf8")).toBe(`${before}Environment=HTTPS_PROXY="http://127.0.0.1:3128"\nEnvironment=NO_PROXY="localhost,.example.com"\n`);
  expect(environment()).toContain("HTTPS_PROXY=http://127.0.0.1:3128");
  expect(environment()).toContain("NO_PROXY=localhost,.example.com");
  const pid = e2e.show("containerd.service", "MainPID");
  expect(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")).toContain("HTTPS_PROXY=http://127.0.0.1:3128");
  expect(JSON.parse(e2e.run(["status", "--export", "--format", "json"]).stdout).settings).toMatchObject({ "https-proxy": "http://127.0.0.1:3128", "no-proxy": "localhost,.example.com" });

  const bad = e2e.run(["configure", "--http-proxy", "proxy.example.com:3128", "--yes"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("invalid --http-proxy=proxy.example.com:3128: expected a URL with a scheme");
  expect(e2e.show("containerd.service", "MainPID")).toBe(pid);

  const reset = e2e.run(["configure", "--reset", "https-proxy,no-proxy", "--yes"], { timeoutMs: 60_000 });
  expect(reset.code).toBe(0);
  expect(readFileSync(override(), "utf8")).toBe(before);
  expect(environment()).not.toContain("HTTPS_PROXY");
}, 120_000);
