// `check` of the COMPILED binary on this real machine: refused as root; as a throwaway user
// with a real `systemd --user`, it finds the installed RootlessKit, containerd and slirp4netns
// at the versions they print themselves (test/helpers/machine.ts), the smoke test and the overlay
// mount pass, and cgroup v1 (this host is hybrid) is a warning. A real fault (the user's
// /etc/subuid line removed) shows up as a finding with RootlessKit's own error.
import { test, expect } from "bun:test";
import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { waitFor } from "../../scripts/sandbox.ts";
import { BINARY, useSandbox } from "../helpers/e2e.ts";
import { machine } from "../helpers/machine.ts";

interface Doc {
  ok: boolean;
  findings: { id: string; level: string; message: string; fix: string | null; detail?: string }[];
  facts: Record<string, any>;
}

const e2e = useSandbox("crschk-e2e", { cliTimeoutMs: 30_000 });
const checkJson = () => e2e.cliJson<Doc>("check", "--json");

const find = (doc: Doc, id: string) => doc.findings.find((f) => f.id === id);

test("as root: refused with the reason, exit 1", () => {
  const p = Bun.spawnSync([BINARY, "check"], { cwd: "/", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/root" } });
  expect(p.exitCode).toBe(1);
  expect(p.stderr.toString()).toContain("[ERROR] Refusing to check rootless containerd as the root user");
  expect(p.stdout.toString()).toBe("");
});

test("check --json as an unprivileged user tells what is true on this machine", () => {
  const { code, doc } = checkJson();
  const m = machine();
  expect(find(doc, "binaries.rootlesskit")?.message).toContain(`RootlessKit ${m.rootlesskit.version} (/usr/bin/rootlesskit)`);
  expect(doc.facts.tools.rootlesskit.version).toBe(m.rootlesskit.version);
  expect(doc.facts.tools.containerd.version).toBe(m.containerd);
  expect(doc.facts.tools.slirp4netns.version).toBe(m.slirp4netns);
  expect(doc.facts.detachNetnsSupported).toBe(m.detachNetnsByDefault);
  expect(doc.facts.networkDriver).toBe("slirp4netns");
  expect(find(doc, "binaries.ip")?.message).toMatch(/^ip \(\/\S+\/ip\): RootlessKit runs it to set up the slirp4netns network/);
  expect(find(doc, "session.systemd")?.level).toBe("ok");
  expect(find(doc, "rootlesskit.smoke")?.level).toBe("ok");
  expect(doc.facts.rootlesskitWorks).toBe(true);
  const cg = find(doc, "cgroup.v1")!;
  expect(cg.level).toBe("warning");
  expect(cg.message).toContain("hybrid");
  expect(doc.facts.cgroup).toBe("hybrid");
  expect(find(doc, "overlayfs.mount")?.level).toBe("ok");
  expect(doc.facts.overlayMountWorks).toBe(true);
  expect(doc.facts.snapshotter).toBe("overlayfs");
  expect(find(doc, "subid.subuid")?.level).toBe("ok");
  expect(find(doc, "binaries.newuidmap")?.message).toContain("setuid root");
  // nothing fatal here: the exit code says so
  expect(doc.findings.filter((f) => f.level === "error")).toEqual([]);
  expect(doc.ok).toBe(true);
  expect(code).toBe(0);
  // the overlay test cleaned up after itself
  expect(e2e.sb.run(["sh", "-c", `ls -A ${e2e.sb.runtimeDir} | grep crs-overlay || true`]).stdout).toBe("");
});

test("human output: the seed's three lines in order, the cgroup warning on stderr, a satisfied summary", () => {
  const r = e2e.cli("check");
  expect(r.code).toBe(0);
  const out = r.stdout.split("\n");
  const at = ["[INFO] Checking RootlessKit functionality", "[INFO] Checking cgroup v2", "[INFO] Checking overlayfs"].map((l) => out.indexOf(l));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  expect(r.stderr).toContain("[WARNING] cgroup v2 is not enabled (hybrid v1/v2 layout)");
  expect(r.stdout).toMatch(/\[INFO\] Requirements are satisfied/);
});

/**
 * Edits /etc/subuid under shadow-utils' own lock (/etc/subuid.lock, taken with link(2) as
 * commonio does), so a sandbox user created meanwhile by another test keeps its line.
 * usermod cannot do it: it refuses while the user's systemd manager runs.
 */
async function editSubuid(edit: (text: string) => string): Promise<void> {
  const tmp = `/etc/subuid.${process.pid}`;
  writeFileSync(tmp, `${process.pid}\0`);
  try {
    await waitFor("/etc/subuid.lock", () => {
      try {
        linkSync(tmp, "/etc/subuid.lock");
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    try {
      writeFileSync("/etc/subuid", edit(readFileSync("/etc/subuid", "utf8")));
    } finally {
      unlinkSync("/etc/subuid.lock");
    }
  } finally {
    unlinkSync(tmp);
  }
}

test("a real fault: without the user's /etc/subuid line, check names it and shows RootlessKit's own error", async () => {
  const mine = (l: string) => l.startsWith(`${e2e.sb.user}:`);
  const line = readFileSync("/etc/subuid", "utf8").split("\n").find(mine)!;
  expect(line).toBeDefined();
  await editSubuid((t) => t.split("\n").filter((l) => !mine(l)).join("\n"));
  try {
    const { code, doc } = checkJson();
    expect(code).toBe(1);
    expect(doc.ok).toBe(false);
    expect(find(doc, "subid.subuid.missing")?.level).toBe("error");
    const smoke = find(doc, "rootlesskit.smoke.failed")!;
    expect(smoke.level).toBe("error");
    expect(smoke.detail).toContain("subuid");
    expect(find(doc, "subid.subgid")?.level).toBe("ok");
  } finally {
    await editSubuid((t) => (t.endsWith("\n") || t === "" ? t : `${t}\n`) + `${line}\n`);
  }
  expect(checkJson().doc.ok).toBe(true);
}, 60_000);

test("a real fault: the user's systemd manager stopped (its socket file left behind) is 'not running' with the linger fix", async () => {
  await e2e.sb.stopManager();
  try {
    const { code, doc } = checkJson();
    expect(code).toBe(1);
    const f = find(doc, "session.systemd.not-running")! as Doc["findings"][number] & { sudoFix?: string[] };
    expect(f.level).toBe("error");
    expect(f.sudoFix).toEqual([`loginctl enable-linger ${e2e.sb.user}`]);
    expect(find(doc, "session.systemd.unreachable")).toBeUndefined();
  } finally {
    await e2e.sb.startManager();
  }
  expect(checkJson().doc.ok).toBe(true);
}, 60_000);

test("the probes beyond the basics, as they apply here: ports < 1024 and ping are optional information, a loopback proxy in the shell a warning, CNI plugins, iptables and the data root fine", () => {
  const ports = readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim();
  const ping = readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8").trim().split(/\s+/).map(Number);
  const r = e2e.run(["check", "--json"], { env: { HTTPS_PROXY: "http://127.0.0.1:3128" } });
  const doc = JSON.parse(r.stdout) as Doc;
  expect(r.code).toBe(0);
  expect(doc.ok).toBe(true);
  const p = find(doc, "unprivileged.ports")!;
  if (ports === "0") expect(p.level).toBe("ok");
  else {
    expect(p.level).toBe("info");
    expect(p.message).toContain(`cannot publish ports below ${ports}`);
    expect(p.fix).toContain("sudo setcap cap_net_bind_service=ep /usr/bin/rootlesskit");
  }
  // this machine keeps the kernel default "1 0" unless someone widened it for every gid
  expect(find(doc, "unprivileged.ping")?.level).toBe(ping[0]! <= 0 && ping[1]! >= 2147483647 ? "ok" : "info");
  const proxy = find(doc, "proxy.https_proxy.unseen")!;
  expect(proxy.level).toBe("warning");
  expect(proxy.message).toContain("HTTPS_PROXY=http://127.0.0.1:3128 is set in your environment, but containerd.service will not see it");
  if (machine().detachNetnsByDefault) {
    // detach-netns on (auto, RootlessKit >= 2.0): containerd runs in the host's network, where the host's loopback is reachable
    expect(proxy.message).not.toContain("points at this machine's loopback");
    expect(proxy.fix).toBe("`containerd-rootless-systemd configure --https-proxy http://127.0.0.1:3128` (it writes HTTPS_PROXY into containerd.service's drop-in and restarts containerd).");
  } else {
    // without it, containerd's loopback is RootlessKit's namespace's own
    expect(proxy.message).toContain("points at this machine's loopback");
    expect(proxy.fix).toContain("--detach-netns true");
  }
  expect(find(doc, "cni.plugins")?.message).toContain("/usr/lib/cni");
  expect(find(doc, "cni.iptables")?.level).toBe("ok");
  expect(find(doc, "dataroot.filesystem")?.level).toBe("ok");
  expect(find(doc, "userns.nested")).toBeUndefined();
  // optional root fixes stay out of the block that must run
  expect((doc as unknown as { sudoScript: string | null }).sudoScript ?? "").not.toContain("ip_unprivileged_port_start");

  const human = e2e.run(["check"], { env: { HTTPS_PROXY: "http://127.0.0.1:3128" } });
  expect(human.code).toBe(0);
  expect(human.stderr).toContain("[WARNING] HTTPS_PROXY=http://127.0.0.1:3128 is set in your environment");
  if (ports !== "0") expect(human.stdout).toContain("optional, as root:");
  // without the variable, nothing about proxies is wrong
  expect(find(checkJson().doc, "proxy")?.level).toBe("ok");
}, 60_000);

