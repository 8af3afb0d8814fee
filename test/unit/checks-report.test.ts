// linger, conflicts, garbage input, and how `check` prints and exits.
import { test, expect, afterEach } from "bun:test";
import { runCommand } from "citty";
import { failed, ok, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId, problems } from "./checks-fixture.ts";
import { sudoScript } from "../../src/core/checks/report.ts";
import { containerdApiHandler, serveGrpc } from "../helpers/grpc-server.ts";
import checkCommand from "../../src/commands/check.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

async function runCheck(h: TestHost, ...args: string[]): Promise<number> {
  const { result } = await runCommand(checkCommand, { rawArgs: args, data: { host: h } });
  return result as number;
}

test("linger on is fine; off is a hint with the seed's command", async () => {
  host = await machine();
  expect(byId(await check(host), "linger")?.level).toBe("ok");
  await host.cleanup();
  host = await machine({ files: { "/var/lib/systemd/linger/alice": null } });
  const r = await check(host);
  expect(byId(r, "linger.off")?.level).toBe("info");
  expect(byId(r, "linger.off")?.fix).toContain("sudo loginctl enable-linger alice");
  expect(r.facts.linger).toBe(false);
});

test("a rootful containerd socket the user can reach is a warning; unreachable is fine", async () => {
  host = await machine({ files: { "/run/containerd/containerd.sock": "" } });
  expect(byId(await check(host), "conflicts.rootful.reachable")?.level).toBe("warning");
  const real = host.canAccess.bind(host);
  host.canAccess = async (p, m) => (p === "/run/containerd/containerd.sock" ? false : real(p, m));
  expect(byId(await check(host), "conflicts.rootful")?.level).toBe("ok");
});

test("a root-only /etc/cni/net.d (a rootful containerd made it) is a warning with both fixes; readable, or a conf_dir of the user's own, is fine", async () => {
  const rootOnly = (h: TestHost) => {
    const real = h.canAccess.bind(h);
    h.canAccess = async (p, m) => (p === "/etc/cni/net.d" ? false : real(p, m));
  };
  host = await machine({ dirs: ["/etc/cni/net.d"] });
  rootOnly(host);
  const r = await check(host);
  const f = byId(r, "conflicts.cni-conf-dir")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain("rootless containerd's CRI plugin cannot watch it and does not load");
  expect(f.sudoFix).toEqual(["chmod 755 /etc/cni/net.d"]);
  expect(f.fix).toContain('conf_dir = "/home/alice/.config/cni/net.d"');
  expect(f.then).toContain("systemctl --user restart containerd.service");
  expect(sudoScript(r.findings)).toContain("chmod 755 /etc/cni/net.d");
  expect(r.ok).toBe(true);
  await host.cleanup();
  host = await machine({ dirs: ["/etc/cni/net.d"] });
  expect(byId(await check(host), "conflicts.cni-conf-dir")).toBeUndefined();
  await host.cleanup();
  host = await machine({ dirs: ["/etc/cni/net.d"], files: { "/home/alice/.config/containerd/config.toml": 'version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  conf_dir = "/home/alice/.config/cni/net.d"\n' } });
  rootOnly(host);
  expect(byId(await check(host), "conflicts.cni-conf-dir")).toBeUndefined();
});

test("a rootless containerd started outside our unit is a warning naming its RootlessKit", async () => {
  host = await machine({
    files: {
      "/run/user/1000/containerd-rootless/child_pid": "4242\n",
      "/proc/4242/cgroup": "0::/user.slice/user-1000.slice/session-3.scope\n",
      "/proc/4242/stat": "4242 (containerd (x)) S 4200 4242 0\n",
      "/run/user/1000/containerd/containerd.sock": "",
    },
  });
  const r = await check(host);
  const f = byId(r, "conflicts.rootless.foreign")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain("pid 4242");
  expect(f.fix).toContain("kill 4200");
  expect(r.facts.rootlessContainerdRunning).toBe(true);
});

test("another installer's containerd.service is foreign; ours is fine", async () => {
  const files = {
    "/run/user/1000/containerd-rootless/child_pid": "4242",
    "/proc/4242/cgroup": "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/containerd.service\n",
    "/home/alice/.config/systemd/user/containerd.service": "[Service]\nExecStart=/home/alice/bin/containerd-rootless.sh\n",
  };
  host = await machine({ files });
  // install replaces it (and it does: a backup kept, containerd restarted under the new unit): information, not "stop it first"
  const f = byId(await check(host), "conflicts.rootless.foreign")!;
  expect(f.level).toBe("info");
  expect(f.message).toContain("under a containerd.service from another installer, not containerd-rootless-systemd: `install` replaces that unit (the old one is kept in its backups");
  expect(`${f.message} ${f.fix ?? ""}`).not.toMatch(/stop it/i);
  await host.cleanup();
  host = await machine({ files: { ...files, "/home/alice/.config/systemd/user/containerd.service": "[Service]\nExecStart=/home/alice/.local/bin/containerd-rootless-systemd launch\n" } });
  expect(byId(await check(host), "conflicts.rootless")?.level).toBe("ok");
});

test("the RootlessKit state dir is the service's (a drop-in's %t/rk), not the installer's own environment", async () => {
  host = await machine({
    env: { CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR: "/run/user/1000/elsewhere" },
    files: {
      "/home/alice/.config/systemd/user/containerd.service.d/override.conf": "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/rk\n",
      "/run/user/1000/rk/child_pid": "4242\n",
      "/proc/4242/cgroup": "0::/user.slice/user-1000.slice/session-3.scope\n",
      "/proc/4242/stat": "4242 (rootlesskit) S 4200 4242 0\n",
      "/run/user/1000/elsewhere/child_pid": "999999\n",
    },
  });
  const r = await check(host);
  const f = byId(r, "conflicts.rootless.foreign")!;
  expect(f?.message).toContain("state dir /run/user/1000/rk");
  expect(r.facts.rootlessContainerdRunning).toBe(true);
});

test("a stale socket with a dead child is only a note", async () => {
  host = await machine({ files: { "/run/user/1000/containerd-rootless/child_pid": "999999", "/run/user/1000/containerd/containerd.sock": "" } });
  expect(byId(await check(host), "conflicts.rootless.stale-socket")?.level).toBe("info");
});

test("a containerd answering without RootlessKit state (another tool's containerd) is foreign, not a leftover", async () => {
  host = await machine({ dirs: ["/run/user/1000/containerd"] });
  const api = serveGrpc(host, "/run/user/1000/containerd/containerd.sock", containerdApiHandler({ version: "1.7.24~ds1" }));
  try {
    const r = await check(host);
    expect(byId(r, "conflicts.rootless.stale-socket")).toBeUndefined();
    const f = byId(r, "conflicts.rootless.foreign")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("A containerd (1.7.24~ds1) already answers on /run/user/1000/containerd/containerd.sock");
    expect(r.facts.rootlessContainerdRunning).toBe(true);
  } finally {
    api.stop();
  }
});

test("a listener on containerd's socket that does not answer containerd's API is not a containerd running", async () => {
  host = await machine({ dirs: ["/run/user/1000/containerd"] });
  const listener = Bun.listen({ unix: host.path("/run/user/1000/containerd/containerd.sock"), socket: { data: (s) => void s.end() } });
  try {
    const r = await check(host);
    expect(byId(r, "conflicts.rootless.foreign")).toBeUndefined();
    expect(byId(r, "conflicts.rootless.stale-socket")?.message).toContain("/run/user/1000/containerd/containerd.sock exists but no containerd answers on it (no connection (refused, reset, or no socket))");
    expect(r.facts.rootlessContainerdRunning).toBe(false);
  } finally {
    listener.stop(true);
  }
});

test("garbage everywhere never throws: findings only", async () => {
  const junk = "\u0000\u0001\u00ff::::\n-1:-1:-1\n" + "x".repeat(10000);
  host = await machine({
    env: { HOME: "\n", XDG_RUNTIME_DIR: "/\u0001weird", PATH: "::::", CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR: "relative" },
    files: {
      "/etc/passwd": junk,
      "/etc/subuid": junk,
      "/etc/subgid": junk,
      "/etc/os-release": junk,
      "/proc/sys/kernel/osrelease": junk,
      "/proc/sys/user/max_user_namespaces": junk,
      "/proc/sys/kernel/unprivileged_userns_clone": junk,
      "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": junk,
    },
    commands: { rootlesskit: () => failed(junk, 2, junk), systemctl: () => failed(junk) },
  });
  const r = await check(host);
  expect(r.ok).toBe(false);
  expect(r.findings.some((f) => f.id.endsWith(".probe-failed"))).toBe(false);
  expect(problems(r).length).toBeGreaterThan(3);
  expect(await runCheck(host)).toBe(1);
  expect(host.err).not.toContain("    at ");
});

test("healthy machine: the seed's three lines in order, 'Requirements are satisfied', exit 0", async () => {
  host = await machine();
  expect(await runCheck(host)).toBe(0);
  const lines = host.out.split("\n");
  const i = ["[INFO] Checking RootlessKit functionality", "[INFO] Checking cgroup v2", "[INFO] Checking overlayfs"].map((l) => lines.indexOf(l));
  expect(i.every((n) => n >= 0)).toBe(true);
  expect([...i].sort((a, b) => a - b)).toEqual(i);
  expect(lines.at(-2)).toBe("[INFO] Requirements are satisfied");
  expect(host.err).toBe("");
});

test("problems: warnings and errors on stderr with fixes, one sudo block, summary, exit 1", async () => {
  host = await machine({
    files: { "/etc/subuid": "", "/proc/sys/kernel/unprivileged_userns_clone": "0", "/sys/fs/cgroup/cgroup.controllers": null },
    commands: { rootlesskit: (a) => (a[1] === "--version" ? { code: 0, stdout: "rootlesskit version 1.1.0", stderr: "" } : failed("[rootlesskit:parent] error: failed to setup UID/GID map")) },
  });
  expect(await runCheck(host)).toBe(1);
  expect(host.err).toContain("[ERROR] /etc/subuid has no range for alice");
  expect(host.err).toContain("[WARNING] cgroup v2 is not enabled");
  expect(host.err).toContain("  | [rootlesskit:parent] error: failed to setup UID/GID map");
  expect(host.err).toMatch(/\[ERROR\] 3 errors, 1 warning/);
  const block = host.out.slice(host.out.indexOf("sudo sh -eux <<'EOF'"));
  expect(block.split("\n").slice(0, 5)).toEqual([
    "sudo sh -eux <<'EOF'",
    "echo 'alice:100000:65536' >> /etc/subuid",
    'echo "kernel.unprivileged_userns_clone=1" >> /etc/sysctl.d/99-rootless.conf',
    "sysctl -w kernel.unprivileged_userns_clone=1",
    "EOF",
  ]);
  expect(host.out.match(/sudo sh -eux/g)).toHaveLength(1);
});

test("--json prints one document with ok, findings and facts", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/cgroup.controllers": null } });
  expect(await runCheck(host, "--json")).toBe(0);
  const doc = JSON.parse(host.out);
  expect(doc.ok).toBe(true);
  const cg = doc.findings.find((f: { id: string }) => f.id === "cgroup.v1");
  expect(Object.keys(cg)).toEqual(["id", "level", "message", "fix"]);
  expect(doc.facts.tools.rootlesskit.version).toBe("1.1.0");
  expect(doc.facts.snapshotter).toBe("overlayfs");
  expect(doc.sudoScript).toBeNull();
});

test("as root: refused with the reason, exit 1, nothing run", async () => {
  host = await machine({ uid: 0 });
  expect(await runCheck(host)).toBe(1);
  expect(host.err).toContain("[ERROR] Refusing to check rootless containerd as the root user");
  expect(host.out).toBe("");
  expect(host.calls).toEqual([]);
});

test("--skip-smoke-test runs no RootlessKit", async () => {
  host = await machine();
  expect(await runCheck(host, "--skip-smoke-test")).toBe(0);
  expect(host.calls.some((c) => c[0]!.endsWith("rootlesskit") && c[1] !== "--version" && c[1] !== "--help")).toBe(false);
});

test("a directory user (LDAP/SSSD: not in /etc/passwd) is named as getpwuid sees it, and every value in the sudo block is quoted", async () => {
  // getent answers through NSS; the name has characters a shell would split or expand
  const host = await machine({
    env: { USER: "wrong" },
    files: { "/etc/subuid": "bob:100000:65536\n", "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" },
    commands: { getent: (argv) => (argv[1] === "passwd" && argv[2] === "1000" ? ok("ad user$x:*:1000:1000::/home/alice:/bin/bash\n") : failed("", 2)) },
  });
  try {
    const r = await check(host);
    expect(r.facts.user).toBe("ad user$x");
    const block = sudoScript(r.findings);
    expect(block).toContain("echo 'ad user$x:");
    expect(byId(r, "linger.off")?.fix ?? byId(r, "linger")?.fix).toContain("sudo loginctl enable-linger 'ad user$x'");
    expect(block).not.toContain("wrong");
  } finally {
    await host.cleanup();
  }
});
