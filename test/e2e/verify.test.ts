// `verify` on the compiled binary, as a sandbox user with the real systemd --user, RootlessKit,
// containerd, runc and the network and port drivers: on a working install every probe passes or
// fails exactly as this machine's settings predict (read from the machine: cgroup version,
// sysctls, detach-netns, RootlessKit's --help); each breakage makes its probe fail with its
// message and fix; install and configure exit 1 for a stack whose containers cannot reach the
// host; and nothing verify creates outlives it (finished, interrupted or killed).
import { describe, test, expect, afterAll } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { useSandbox } from "../helpers/e2e.ts";
import { waitFor } from "../../scripts/sandbox.ts";
import { startRegistry, type Registry } from "../helpers/registry.ts";
import { installSnapshotters } from "../helpers/snapshotter-e2e.ts";

const e2e = useSandbox("crs-e2e-verify", { setup: (e) => void e.mustRun(["install", "--yes", "--no-verify"], { timeoutMs: 90_000 }), setupTimeoutMs: 120_000, cliTimeoutMs: 90_000 });

type Probe = { id: string; title: string; status: "pass" | "fail" | "n/a"; expected: boolean; message: string; evidence: string[]; fix?: string; sudoFix?: string[]; ms: number };
type Report = { ok: boolean; probes: Probe[]; cleanup: { removed: string[]; kept: string[]; problems: string[] }; phases: Record<string, number | null>; ms: number };

const stateDir = () => join(e2e.sb.runtimeDir, "containerd-rootless");
const detached = () => existsSync(join(stateDir(), "netns"));
const inNs = (...args: string[]) => e2e.run(["nsenter", "--", ...args]);

function verify(...args: string[]): { code: number; report: Report; stderr: string } {
  const r = e2e.run(["verify", "--json", ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}
const probe = (r: Report, id: string) => {
  const p = r.probes.find((x) => x.id === id);
  if (!p) throw new Error(`no probe ${id} in ${JSON.stringify(r.probes.map((x) => x.id))}`);
  return p;
};

/** What verify may create: containerd namespaces, snapshots, content blobs, RootlessKit ports, its run records. */
function leftovers() {
  const data = join(e2e.sb.home, ".local/share/containerd");
  const count = (dir: string) => (existsSync(dir) ? readdirSync(dir).length : 0);
  return {
    namespaces: inNs("ctr", "namespaces", "ls", "-q").stdout.trim().split("\n").filter(Boolean).sort(),
    snapshots: count(join(data, "io.containerd.snapshotter.v1.overlayfs/snapshots")),
    blobs: count(join(data, "io.containerd.content.v1.content/blobs/sha256")),
    ports: e2e.sb.run(["rootlessctl", "--socket", join(stateDir(), "api.sock"), "list-ports", "--json"]).stdout.trim(),
    records: existsSync(join(e2e.sb.runtimeDir, "containerd-rootless-systemd-verify")),
  };
}

/** This machine's settings, as the probes must predict them. */
function machine() {
  const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8").trim().split(/\s+/).map(Number);
  const sub = readFileSync("/etc/subgid", "utf8").split("\n").find((l) => l.startsWith(`${e2e.sb.user}:`))!.split(":").map(Number);
  const portStart = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
  const caps = Bun.spawnSync(["getcap", Bun.which("rootlesskit") ?? "/usr/bin/rootlesskit"]).stdout.toString();
  return {
    cgroupV2: existsSync("/sys/fs/cgroup/cgroup.controllers"),
    ping: lo! <= e2e.sb.gid && e2e.sb.gid <= hi! && lo! <= sub[1]! && sub[1]! + sub[2]! - 1 <= hi!,
    lowPorts: portStart <= 600 || caps.includes("cap_net_bind_service"),
    sourceIpTransparent: Bun.spawnSync(["rootlesskit", "--help"]).stdout.toString().includes("--source-ip-transparent"),
    detachNetnsFlag: Bun.spawnSync(["rootlesskit", "--help"]).stdout.toString().includes("--detach-netns"),
  };
}

/** The network driver's pid: RootlessKit's (containerd.service's main process) child named slirp4netns. */
function slirp4netnsPid(): number {
  const main = e2e.show("containerd.service", "MainPID");
  const children = readdirSync(`/proc/${main}/task`).flatMap((t) => readFileSync(`/proc/${main}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean));
  const pid = children.find((p) => readFileSync(`/proc/${p}/comm`, "utf8").trim() === "slirp4netns");
  if (!pid) throw new Error(`RootlessKit (${main}) has no slirp4netns child: ${children.join(" ")}`);
  return Number(pid);
}

async function restartContainerd(): Promise<void> {
  expect(e2e.sb.systemctl("restart", "containerd.service").code).toBe(0);
  await waitFor("the containerd API after a restart", () => inNs("ctr", "version").code === 0, 60_000, 100);
}

let registries: Registry[] = [];
afterAll(() => registries.forEach((r) => r.stop()));

describe("verify on a working install", () => {
  test("every probe passes, or fails as this machine's settings predict with the setting's fix; one JSON object per probe; exit 0; nothing left behind", () => {
    const before = leftovers();
    const m = machine();
    const { code, report } = verify();
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.probes.map((p) => p.id)).toEqual(["container", "network", "dns", "ports", "limits", "registry", "ping", "low-ports"]);
    for (const id of ["container", "network", "dns", "ports"]) expect(probe(report, id)).toMatchObject({ status: "pass", expected: true });
    expect(probe(report, "container").message).toContain("a container started from a throwaway image on the overlayfs snapshotter (its / is overlay)");
    expect(probe(report, "network").message).toMatch(/default route via \S+; TCP to the host \S+ through slirp4netns/);
    expect(probe(report, "dns").message).toMatch(/answered \S+: (NOERROR|NXDOMAIN).*, as the host's \S+ does/);
    expect(probe(report, "ports").message).toContain("reaches the container through the builtin port driver");
    expect(probe(report, "ports").message).toContain(m.sourceIpTransparent ? "is preserved" : "is not preserved: a connection from");
    const limits = probe(report, "limits");
    if (m.cgroupV2) expect(limits.status).toBe("pass");
    else {
      expect(limits).toMatchObject({ status: "fail", expected: false });
      expect(limits.message).toMatch(/^not enforced: cgroup v1/);
      expect(limits.fix).toContain("systemd.unified_cgroup_hierarchy=1");
    }
    expect(probe(report, "registry")).toMatchObject({ status: "n/a", message: "no --registry HOST:PORT given" });
    const ping = probe(report, "ping");
    if (m.ping) expect(ping.status).toBe("pass");
    else {
      expect(ping).toMatchObject({ status: "fail", expected: false });
      expect(ping.message).toContain("net.ipv4.ping_group_range");
      expect(ping.sudoFix?.join("\n")).toContain('sysctl -w net.ipv4.ping_group_range="0 2147483647"');
    }
    const low = probe(report, "low-ports");
    if (m.lowPorts) expect(low.status).toBe("pass");
    else {
      expect(low).toMatchObject({ status: "fail", expected: false });
      expect(low.message).toContain("net.ipv4.ip_unprivileged_port_start");
      expect(low.evidence.join("\n")).toContain("cannot expose privileged port");
      expect(low.sudoFix?.join("\n")).toContain("sysctl -w net.ipv4.ip_unprivileged_port_start=0");
    }
    expect(report.cleanup.problems).toEqual([]);
    expect(leftovers()).toEqual(before);
  }, 120_000);

  test("the human report: a line per probe, the summary; --verbose says what was removed", () => {
    const r = e2e.run(["verify", "--verbose"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[INFO] pass  A container starts: ");
    expect(r.stdout).toContain("[INFO] pass  Its network works: ");
    expect(r.stdout).toMatch(/\[INFO\] Containers work: 8 probes in \d+\.\d\d s, \d passed.*; nothing left behind\./);
    expect(r.stderr).toMatch(/\[DEBUG\] Removed containerd namespace crs-verify-\d+ \(image crs-verify\.invalid\/rootfs:\d+, containers crs-verify-\d+-main\)/);
  }, 120_000);

  test("bad usage changes nothing: --registry without a port exits 2; with containerd stopped, exit 1 and the fix", async () => {
    const bad = e2e.run(["verify", "--registry", "127.0.0.1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--registry 127.0.0.1: not HOST:PORT");
    expect(e2e.sb.systemctl("stop", "containerd.service").code).toBe(0);
    try {
      const r = e2e.run(["verify"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("[ERROR] containerd is not running");
      expect(r.stderr).toContain("systemctl --user start containerd.service");
    } finally {
      await restartContainerd();
    }
  }, 120_000);
});

describe("each probe fails, with its message and fix, on a machine broken for that reason", () => {
  test("the network driver killed: the network probe names the dead driver and the restart; exit 1", async () => {
    process.kill(slirp4netnsPid(), "SIGKILL");
    try {
      const { code, report } = verify();
      expect(code).toBe(1);
      const net = probe(report, "network");
      expect(net).toMatchObject({ status: "fail", expected: true });
      expect(net.message).toContain("the network driver slirp4netns is not running");
      expect(net.fix).toContain("systemctl --user restart containerd.service");
      expect(probe(report, "dns").status).toBe("fail");
      expect(probe(report, "container").status).toBe("pass"); // a container still starts: only its network is gone
    } finally {
      await restartContainerd();
    }
  }, 180_000);

  test("the container's resolver broken: DNS fails, said against the host's answer; a loopback stub is said as such", () => {
    // the file a container's /etc/resolv.conf comes from: RootlessKit's for the detached namespace, else the namespace's own
    const file = detached() ? join(stateDir(), "resolv.conf") : "/etc/resolv.conf";
    const write = (server: string) => (detached() ? e2e.sb.writeFile(file, `nameserver ${server}\n`) : expect(inNs("sh", "-c", `echo nameserver ${server} > /etc/resolv.conf`).code).toBe(0));
    const original = detached() ? readFileSync(file, "utf8") : inNs("cat", "/etc/resolv.conf").stdout;
    try {
      write("10.0.2.77");
      const dead = verify();
      expect(dead.code).toBe(1);
      const dns = probe(dead.report, "dns");
      expect(dns).toMatchObject({ status: "fail", expected: true });
      expect(dns.message).toMatch(/^the container's resolver 10\.0\.2\.77 did not answer for \S+, while the host's \S+ did/);
      write("127.0.0.53");
      const stub = probe(verify().report, "dns");
      expect(stub.status).toBe("fail");
      expect(stub.message).toContain("names only 127.0.0.53, a resolver on the loopback (the host's stub resolver)");
      expect(stub.fix).toContain("systemctl --user restart containerd.service");
    } finally {
      if (detached()) e2e.sb.writeFile(file, original);
      else expect(inNs("sh", "-c", `cat > /etc/resolv.conf <<'EOF'\n${original}EOF`).code).toBe(0);
    }
    expect(probe(verify().report, "dns").status).toBe("pass");
  }, 180_000);

  test("the port driver off: the ports probe says so with the setting that turns it on (not a failure of the machine: exit 0)", () => {
    const off = e2e.run(["configure", "--port-driver", "none", "--yes"]);
    expect(off.code).toBe(0);
    try {
      const { code, report } = verify();
      expect(code).toBe(0);
      const ports = probe(report, "ports");
      expect(ports).toMatchObject({ status: "fail", expected: false });
      expect(ports.message).toContain("--port-driver=none");
      expect(ports.fix).toBe("containerd-rootless-systemd configure --port-driver builtin --yes");
    } finally {
      expect(e2e.run(["configure", "--reset", "port-driver", "--yes", "--no-verify"]).code).toBe(0);
    }
  }, 180_000);

  test("a registry on the host's loopback: reached with detach-netns, else expected to fail with why and the fix; one on the host's own address is reached either way", async () => {
    const m = machine();
    const local = await startRegistry("127.0.0.1");
    registries.push(local);
    const r = verify("--registry", local.address);
    const reg = probe(r.report, "registry");
    if (detached()) expect(reg).toMatchObject({ status: "pass", expected: true });
    else {
      expect(r.code).toBe(0);
      expect(reg).toMatchObject({ status: "fail", expected: false });
      expect(reg.message).toContain("RootlessKit runs with --disable-host-loopback, and detach-netns is off");
      expect(reg.fix).toContain(m.detachNetnsFlag ? "configure --detach-netns true" : "has no --detach-netns (it needs >= 2.0)");
    }
    const hostAddress = probe(r.report, "network").message.match(/TCP to the host (\S+):\d+/)![1]!;
    const remote = await startRegistry(hostAddress);
    registries.push(remote);
    expect(probe(verify("--registry", remote.address).report, "registry")).toMatchObject({ status: "pass", expected: true });
    if (m.detachNetnsFlag && detached()) {
      expect(e2e.run(["configure", "--detach-netns", "false", "--yes", "--no-verify"]).code).toBe(0);
      try {
        const off = probe(verify("--registry", local.address).report, "registry");
        expect(off).toMatchObject({ status: "fail", expected: false });
        expect(off.fix).toContain("containerd-rootless-systemd configure --detach-netns true --yes");
      } finally {
        expect(e2e.run(["configure", "--reset", "detach-netns", "--yes", "--no-verify"]).code).toBe(0);
      }
    }
  }, 240_000);
});

describe("install and configure no longer report success for a stack whose containers cannot reach the host", () => {
  test("configure --flags=--cidr overlapping the host's network: exit 1 with the network probe's message; install with it too", () => {
    const hostNet = probe(verify().report, "network").message.match(/TCP to the host (\d+\.\d+\.\d+)\.\d+:/)![1];
    const r = e2e.run(["configure", `--flags=--cidr=${hostNet}.0/24`, "--yes"]);
    try {
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("[INFO] Verifying that containers work (--no-verify skips this)");
      expect(r.stderr).toMatch(/\[ERROR\] configure finished, but containers do NOT work as they should: Its network works: the container cannot reach the host: its network \S+ contains the host's address/);
      expect(r.stderr).toContain("containerd-rootless-systemd configure --reset flags --yes");
      // the same stack from a fresh install (the setting written before it starts): exit 1 too, and --json says why
      expect(e2e.run(["uninstall", "--yes"]).code).toBe(0);
      expect(e2e.run(["configure", `--flags=--cidr=${hostNet}.0/24`, "--yes"]).code).toBe(0); // containerd not running: nothing to verify yet
      const again = e2e.run(["install", "--yes", "--json"]);
      expect(again.code).toBe(1);
      const doc = JSON.parse(again.stdout);
      expect(doc).toMatchObject({ ok: false, changed: true });
      expect(doc.verify.probes.find((p: Probe) => p.id === "network")).toMatchObject({ status: "fail", expected: true });
    } finally {
      expect(e2e.run(["configure", "--reset", "flags", "--yes"]).code).toBe(0);
    }
  }, 300_000);
});

/** The pids of this user's processes running verify's agent (in a container: its root is the user's uid on the host). */
function agentsRunning(): number[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1];
      return Number(uid) === e2e.sb.uid && readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes("verify-agent");
    } catch {
      return false; // exited while being read
    }
  }).map(Number);
}

/**
 * Starts `verify` and waits until one of its containers runs: its record names its pid, and an
 * agent runs. Read from /proc, not with ctr: a container lives about a second, and under load a
 * `ctr tasks ls` took longer than that (seen in the Debian 13 root).
 */
async function verifyRunning() {
  const run = e2e.sb.runAsync([e2e.bin, "verify"], { timeoutMs: 120_000 });
  const records = join(e2e.sb.runtimeDir, "containerd-rootless-systemd-verify");
  let pid = 0;
  await waitFor("verify's main container to run", () => {
    // the record of a running verify (one a killed run left stays until the next verify's sweep)
    const rec = existsSync(records) ? readdirSync(records).find((f) => f.endsWith(".json") && existsSync(`/proc/${f.slice(0, -5)}`)) : undefined;
    if (!rec) return false;
    pid = Number(rec.slice(0, -5));
    return agentsRunning().length > 0;
  }, 60_000, 10);
  return { run, pid };
}

describe("nothing is left behind", () => {
  test("interrupted (SIGINT while its containers run): exit 130, everything it created removed", async () => {
    const before = leftovers();
    const { run, pid } = await verifyRunning();
    process.kill(pid, "SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("[WARNING] Interrupted");
    expect(leftovers(), `${r.stdout}\n${r.stderr}`).toEqual(before);
  }, 180_000);

  test("killed (SIGKILL): its containers, image, namespace and record stay until the next verify removes them", async () => {
    const before = leftovers();
    const { run, pid } = await verifyRunning();
    process.kill(pid, "SIGKILL");
    await run;
    expect(leftovers().namespaces).toContain(`crs-verify-${pid}`);
    const next = e2e.run(["verify", "--verbose"]);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(`[DEBUG] Removed containerd namespace crs-verify-${pid}`);
    expect(next.stderr).toContain(`left by verify (pid ${pid})`);
    expect(leftovers()).toEqual(before);
  }, 180_000);
});

describe("--keep", () => {
  test("keeps the throwaway image and the stopped container to look at; the next verify removes them", () => {
    const before = leftovers();
    const kept = verify("--keep");
    expect(kept.code).toBe(0);
    expect(kept.report.cleanup.kept[0]).toMatch(/^containerd namespace crs-verify-\d+ \(image crs-verify\.invalid\/rootfs:\d+, containers crs-verify-\d+-main\): /);
    const ns = kept.report.cleanup.kept[0]!.split(" ")[2]!;
    expect(leftovers().namespaces).toContain(ns);
    expect(inNs("ctr", "-n", ns, "containers", "ls", "-q").stdout.trim()).toBe(`${ns}-main`);
    expect(inNs("ctr", "-n", ns, "tasks", "ls", "-q").stdout.trim()).toBe(""); // stopped
    const next = verify();
    expect(next.report.cleanup.removed.join("\n")).toContain(`containerd namespace ${ns} `);
    expect(leftovers()).toEqual(before);
  }, 120_000);
});

describe("each installed add-on does its job", () => {
  test("stargz (its real daemon): a container runs on its snapshot; bypass4netnsd answers; BuildKit's stand-in, which cannot build, fails the probe", async () => {
    const home = await installSnapshotters(e2e);
    for (const addon of ["stargz", "bypass4netns", "buildkit"]) expect(e2e.run(["install", addon, "--yes", "--no-verify"], { env: { PATH: home.path }, timeoutMs: 120_000 }).code).toBe(0);
    try {
      const { code, report } = verify();
      expect(report.probes.map((p) => p.id)).toEqual(["container", "network", "dns", "ports", "limits", "registry", "ping", "low-ports", "addon:bypass4netns", "addon:stargz", "addon:buildkit"]);
      // nerdctl's default is now stargz: the main container already ran on it
      expect(probe(report, "container").message).toContain("on the stargz snapshotter (its / is overlay)");
      expect(probe(report, "addon:stargz")).toMatchObject({ status: "pass", message: "the stargz snapshotter created and mounted a snapshot: a container ran on it (its / is overlay) and wrote to its root" });
      expect(probe(report, "addon:bypass4netns")).toMatchObject({ status: "pass", message: "bypass4netnsd.service: GET /v1/bypass: HTTP 200" });
      // what the stand-in can prove stops at its API answering: a build needs a real BuildKit (checked in a session: README)
      const buildkit = probe(report, "addon:buildkit");
      expect(buildkit).toMatchObject({ status: "fail", expected: true });
      expect(buildkit.message).toMatch(/^buildkit\.service: (buildkitd lists no worker: it cannot build|.*a one-step build FROM scratch failed.*)$/);
      expect(code).toBe(1);
    } finally {
      for (const addon of ["buildkit", "bypass4netns", "stargz"]) expect(e2e.run(["uninstall", addon, "--yes"], { env: { PATH: home.path } }).code).toBe(0);
    }
  }, 300_000);
});
