// RootlessKit >= 2 with containerd 1.7 for real: Debian 13's RootlessKit and containerd
// (scripts/debian-stack.ts), on Debian 12 from a nerdctl-full-shaped bundle of them made active
// with `components install` (its bin first on the units' PATH, as a user would do it), on Debian
// 13 the installed packages. Their versions are read from the programs, never written here.
// detach-netns is in effect (containerd in the host's network namespace, slirp4netns on
// $STATE/netns), `nsenter` leaves the network namespace out, `configure` turns it off and on,
// pasta runs with both port drivers RootlessKit 2 accepts for it, and a pull from a registry on
// this machine's 127.0.0.1 works with detach-netns and, without it, fails with check saying why.
import { test, expect, describe, afterAll } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { programVersion, secondStack, type DebianStack } from "../../scripts/debian-stack.ts";
import { useSandbox } from "../helpers/e2e.ts";
import { writeBundle } from "../helpers/tarball.ts";
import { startHostRegistry, type HostRegistry } from "../helpers/host-registry.ts";
import { hostAddress, untilServing } from "../helpers/host-address.ts";
import { buildBusyboxImage } from "./oci-image.ts";

let stack: DebianStack;
let bundles: string | undefined;
let registry: HostRegistry;
let imageRef: string;
const e2e = useSandbox("crs2s-e2e", {
  cliTimeoutMs: 120_000,
  setupTimeoutMs: 300_000,
  setup: async (e) => {
    stack = secondStack();
    if (!stack.local) {
      bundles = mkdtempSync(join(tmpdir(), "crs-second-stack-"));
      chmodSync(bundles, 0o755);
      const b = writeBundle(bundles, { version: "13.0.0-trixie", programs: stack.bin });
      e.mustRun(["components", "install", "--from", b.file, "--sha256", b.sha256, "--yes"]);
    }
    e.mustRun(["install", "--yes"]);
    imageRef = buildBusyboxImage(image());
    chownSync(image(), e.sb.uid, e.sb.gid);
    registry = await startHostRegistry();
    // the registry set up for containerd and nerdctl as a plain-HTTP one (containerd's hosts.toml, in nerdctl's hosts directory)
    e.sb.writeFile(join(hostsDir(), registry.address, "hosts.toml"), `server = "http://${registry.address}"\n\n[host."http://${registry.address}"]\n  capabilities = ["pull", "resolve", "push"]\n`);
    expect(Bun.spawnSync(["chown", "-R", `${e.sb.user}:`, join(e.sb.home, ".config")]).exitCode).toBe(0);
  },
});
afterAll(() => {
  registry?.stop();
  if (bundles) rmSync(bundles, { recursive: true, force: true });
});

const image = () => join(e2e.sb.home, "busybox-oci.tar");
const hostsDir = () => join(e2e.sb.home, ".config/containerd/certs.d");
const stateDir = () => join(e2e.sb.runtimeDir, "containerd-rootless");
const cli = e2e.cli;
/** RootlessKit's child (the namespaces' first process), and containerd (the launcher it ran, which replaced itself) */
const childPid = () => readFileSync(join(stateDir(), "child_pid"), "utf8").trim();
const containerdPid = () => {
  const pids = e2e.sb.pids().filter((p) => { try { return readlinkSync(`/proc/${p}/exe`).endsWith("/containerd"); } catch { return false; } });
  expect(pids).toHaveLength(1);
  return String(pids[0]);
};
const netnsOf = (pid: string | number) => readlinkSync(`/proc/${pid}/ns/net`);
const hostNetns = () => readlinkSync("/proc/self/ns/net");
const processes = (re: RegExp) => e2e.sb.pids().map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" "); } catch { return ""; } }).filter((c) => re.test(c));
/** `nsenter -- CMD` as the user; CMD's output */
const inside = (...cmd: string[]) => {
  const r = cli("nsenter", "--", ...cmd);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim();
};
const ctr = (...args: string[]) => cli("nsenter", "--", "ctr", "-n", "default", ...args);
const pushed = () => `${registry.address}/crs/busybox:1`;
const pull = () => ctr("images", "pull", "--hosts-dir", hostsDir(), pushed());

function expectDetached(on: boolean): void {
  expect(e2e.rootlesskitArgs().includes("--detach-netns")).toBe(on);
  expect(existsSync(join(stateDir(), "netns"))).toBe(on);
  expect(netnsOf(containerdPid()) === hostNetns()).toBe(on);
  // nsenter: containerd's user namespace always; its network namespace only without detach-netns
  expect(inside("readlink", "/proc/self/ns/user")).toBe(readlinkSync(`/proc/${childPid()}/ns/user`));
  expect(inside("readlink", "/proc/self/ns/net")).toBe(netnsOf(containerdPid()));
}

describe("RootlessKit >= 2 and containerd 1.7 (Debian 13's)", () => {
  test("the service runs the stack's RootlessKit and containerd, and status says their versions", () => {
    const rk = programVersion(join(stack.bin, "rootlesskit"));
    const containerd = programVersion(join(stack.bin, "containerd"));
    expect(programVersion(readlinkSync(`/proc/${e2e.show("containerd.service", "MainPID")}/exe`))).toBe(rk);
    expect(programVersion(readlinkSync(`/proc/${containerdPid()}/exe`))).toBe(containerd);
    const s = e2e.cliJson("status", "--json").doc;
    expect(s.rootlesskit.version).toBe(rk);
    expect(s.containerd.server).toStartWith(containerd);
    expect(s.containerd.client).toBe(containerd);
  });

  test("detach-netns is in effect by default: containerd in the host's network namespace, slirp4netns on $STATE/netns, nsenter without -n", () => {
    expectDetached(true);
    expect(processes(/^slirp4netns /).join("\n")).toContain(`${stateDir()}/netns tap0`);
    const detach = e2e.cliJson("status", "--json").doc.addons.find((a: { id: string }) => a.id === "detach-netns");
    expect(detach.detail).toContain(`in effect (${stateDir()}/netns exists)`);
  });

  test("a pull from a registry on this machine's 127.0.0.1 works with detach-netns (through the bundle's ctr); check says it is reachable", () => {
    expect(ctr("images", "import", image()).code).toBe(0);
    const push = ctr("images", "push", "--hosts-dir", hostsDir(), pushed(), imageRef);
    expect(push.code, push.stderr).toBe(0);
    expect(ctr("images", "rm", "--sync", imageRef).code).toBe(0);
    const r = pull();
    expect(r.code, r.stderr).toBe(0);
    expect(ctr("images", "ls", "-q").stdout.split("\n")).toContain(pushed());
    expect(registry.log()).toMatch(/"GET \/v2\/crs\/busybox\/manifests\/\S+ HTTP\/1\.1" 200/);
    expect(registry.log()).toContain(`"containerd/${programVersion(join(stack.bin, "ctr"))}`); // the client was the stack's ctr
    const f = e2e.cliJson("check", "--json").doc.findings.find((x: { id: string }) => x.id === "registry.loopback");
    expect(f).toMatchObject({ level: "ok", message: expect.stringContaining(registry.address) });
  });

  test("configure --detach-netns false: containerd in RootlessKit's network namespace; said beforehand that the loopback registry goes out of reach; the pull fails, and check says why and what to type", () => {
    const r = cli("configure", "--detach-netns", "false", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${registry.address}, in ${hostsDir()}/${registry.address}`);
    expect(r.stderr).toContain("--disable-host-loopback");
    expectDetached(false);
    expect(ctr("images", "rm", "--sync", pushed()).code).toBe(0);
    const failed = pull();
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(`dial tcp ${registry.address}: connect: connection refused`);
    const f = e2e.cliJson("check", "--json").doc.findings.find((x: { id: string }) => x.id === "registry.loopback");
    expect(f.level).toBe("warning");
    expect(f.message).toContain(`a registry or proxy listening on this machine's loopback (${registry.address}, in ${hostsDir()}/${registry.address}) cannot be reached`);
    expect(f.message).toContain("--disable-host-loopback");
    expect(f.fix).toContain("containerd-rootless-systemd configure --detach-netns true");
  });

  test("configure --detach-netns true (what check said to type): back in the host's network namespace, and the pull works again", () => {
    const r = cli("configure", "--detach-netns", "true", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expectDetached(true);
    const again = pull();
    expect(again.code, again.stderr).toBe(0);
  });

  test("pasta with --port-driver implicit: RootlessKit runs pasta on the detached namespace, and a port bound there answers on this machine with no port opened by hand", async () => {
    e2e.sb.systemctl("reset-failed", "containerd.service"); // the restarts above count toward StartLimitBurst
    const r = cli("configure", "--net", "pasta", "--port-driver", "implicit", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(e2e.rootlesskitArgs()).toEqual(expect.arrayContaining(["--net=pasta", "--port-driver=implicit", "--detach-netns"]));
    const [pasta] = processes(/^pasta /);
    expect(pasta).toContain("--tcp-ports=auto");
    expect(pasta).toContain(`--netns=`);
    expect(pasta).toContain(`${stateDir()}/netns`);
    expect(inside("ctr", "version")).toContain("Server:");
    const www = join(e2e.sb.home, "www");
    e2e.sb.writeFile(join(www, "index.html"), "hello through pasta\n");
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    inside("nsenter", `--net=${stateDir()}/netns`, "busybox", "httpd", "-p", String(port), "-h", www);
    try {
      // pasta's `auto` forwards what the namespace binds, as it finds it
      await untilServing(`http://127.0.0.1:${port}/index.html`, 15_000);
      expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe("hello through pasta\n");
    } finally {
      for (const pid of e2e.sb.pids()) if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("busybox\0httpd\0")) process.kill(pid);
    }
  });

  test("pasta with --port-driver none: pasta forwards no port, and the namespace still reaches this machine's address through it", async () => {
    const r = cli("configure", "--port-driver", "none", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(e2e.rootlesskitArgs()).toEqual(expect.arrayContaining(["--net=pasta", "--port-driver=none"]));
    const [pasta] = processes(/^pasta /);
    expect(pasta).toContain("--tcp-ports=none --udp-ports=none");
    const www = join(e2e.sb.home, "www-out");
    e2e.sb.writeFile(join(www, "index.html"), "reached through pasta\n");
    const address = hostAddress();
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const httpd = Bun.spawn(["busybox", "httpd", "-f", "-p", `${address}:${port}`, "-h", www], { stdout: "ignore", stderr: "ignore" });
    try {
      await untilServing(`http://${address}:${port}/index.html`);
      const got = cli("nsenter", "--", "nsenter", `--net=${stateDir()}/netns`, "busybox", "wget", "-q", "-O-", `http://${address}:${port}/index.html`);
      expect(got.stdout).toBe("reached through pasta\n");
    } finally {
      httpd.kill();
    }
    const back = cli("configure", "--reset", "net,port-driver", "--yes");
    expect(back.code, back.stderr).toBe(0);
    expect(e2e.rootlesskitArgs()).toEqual(expect.arrayContaining(["--net=slirp4netns", "--port-driver=builtin", "--detach-netns"]));
  });
});
