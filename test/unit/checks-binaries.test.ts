import { test, expect, afterEach } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { machine, slirp4netns, check, byId, problems, SMOKE_STDOUT } from "./checks-fixture.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

test("versions and the network driver land in the facts", async () => {
  host = await machine();
  const r = await check(host);
  expect(r.facts.tools.rootlesskit?.version).toBe("1.1.0");
  expect(r.facts.tools.containerd?.version).toBe("1.6.20");
  expect(r.facts.tools.runc?.version).toBe("1.1.5");
  expect(r.facts.tools.slirp4netns?.version).toBe("1.2.0");
  expect(r.facts.networkDriver).toBe("slirp4netns");
  expect(r.facts.detachNetnsSupported).toBe(false);
  expect(r.facts.distro?.id).toBe("debian");
  expect(byId(r, "binaries.rootlesskit")?.message).toContain("1.1.0");
  expect(byId(r, "binaries.network")?.message).toBe("Network driver: slirp4netns 1.2.0 (/usr/bin/slirp4netns), MTU 65520, port driver builtin"); // 1.1.0 has no --source-ip-transparent
});

test("RootlessKit's version is read from the --help the check runs anyway: --help once, no --version process, though several probes need the version", async () => {
  host = await machine();
  const r = await check(host);
  expect(host.calls.filter((c) => c[0]!.endsWith("rootlesskit") && c[1] === "--help")).toHaveLength(1);
  expect(host.calls.filter((c) => c[0]!.endsWith("rootlesskit") && c[1] === "--version")).toHaveLength(0);
  expect(r.facts.tools.rootlesskit?.version).toBe("1.1.0");
});

test("a RootlessKit whose --help has no VERSION section: --version runs once although several probes need it", async () => {
  const help = rootlesskitHelp("1.1.0").replace(/^VERSION:\s*\n\s*\S+\s*\n/m, "");
  expect(help).not.toContain("VERSION:");
  const base = rootlesskitHandler(help, SMOKE_STDOUT);
  host = await machine({ commands: { rootlesskit: (argv, o) => (argv[1] === "--version" ? ok("rootlesskit version 1.1.0\n") : base(argv, o)) } });
  const r = await check(host);
  expect(host.calls.filter((c) => c[0]!.endsWith("rootlesskit") && c[1] === "--version")).toHaveLength(1);
  expect(r.facts.tools.rootlesskit?.version).toBe("1.1.0");
});

test("the user manager's environment is asked once per check run (the session, conflicts, network and service-environment probes share it)", async () => {
  host = await machine();
  await check(host);
  expect(host.calls.filter((c) => c[0]!.endsWith("systemctl") && c.includes("show-environment"))).toHaveLength(1);
});

test("the RootlessKit run is the first process a check starts (before even the user-name look-up)", async () => {
  host = await machine();
  await check(host);
  expect(host.calls[0]![0]).toEndWith("rootlesskit");
  expect(host.calls[0]).toContain("--copy-up=/etc");
});

for (const [name, id, pkg] of [
  ["rootlesskit", "binaries.rootlesskit.missing", "rootlesskit"],
  ["containerd", "binaries.containerd.missing", "containerd"],
  ["nsenter", "binaries.nsenter.missing", "util-linux"],
  ["mount", "binaries.mount.missing", "mount"],
  ["newuidmap", "binaries.newuidmap.missing", "uidmap"],
  ["newgidmap", "binaries.newgidmap.missing", "uidmap"],
  ["slirp4netns", "binaries.network.missing", "slirp4netns"],
] as const) {
  test(`${name} missing is an error with the package to install`, async () => {
    host = await machine({ commands: { [name]: null, [`/usr/bin/${name}`]: null } });
    const r = await check(host);
    const f = byId(r, id)!;
    expect(f.level).toBe("error");
    expect(f.sudoFix).toEqual([`apt-get install -y ${pkg}`]);
    expect(r.ok).toBe(false);
  });
}

test("no runc and no crun is an error; crun alone is fine", async () => {
  host = await machine({ commands: { runc: null } });
  expect(byId(await check(host), "binaries.runtime.missing")?.level).toBe("error");
  await host.cleanup();
  host = await machine({ commands: { runc: null, crun: () => ok("crun version 1.8.1\n"), "/usr/bin/crun": () => ok("crun version 1.8.1\n") } });
  const r = await check(host);
  expect(byId(r, "binaries.runtime")?.message).toContain("crun 1.8.1");
  expect(r.facts.tools.crun?.version).toBe("1.8.1");
});

test("slirp4netns older than 0.4.0: error alone, warning when vpnkit can take over", async () => {
  const old = slirp4netns("0.3.0");
  host = await machine({ commands: { slirp4netns: old } });
  let r = await check(host);
  expect(byId(r, "binaries.slirp4netns.too-old")?.level).toBe("error");
  expect(r.facts.networkDriver).toBeNull();
  await host.cleanup();
  const vpnkit = () => ok("vpnkit version v0.5.0\n");
  host = await machine({ commands: { slirp4netns: old, vpnkit, "/usr/bin/vpnkit": vpnkit } });
  r = await check(host);
  expect(byId(r, "binaries.slirp4netns.too-old")?.level).toBe("warning");
  expect(r.facts.networkDriver).toBe("vpnkit");
});

test("pasta is never the automatic choice (nerdctl's order: slirp4netns, vpnkit, gvisor-tap-vsock); RootlessKit 3 falls back to its built-in gvisor-tap-vsock", async () => {
  const pasta = () => ok("pasta 0^20231004.gf851084\n");
  host = await machine({ commands: { slirp4netns: null, pasta, rootlesskit: rootlesskitHandler(rootlesskitHelp("2.3.6"), SMOKE_STDOUT) } });
  let r = await check(host);
  expect(byId(r, "binaries.network.missing")?.level).toBe("error");
  expect(r.facts.networkDriver).toBeNull();
  expect(r.facts.detachNetnsSupported).toBe(true);
  await host.cleanup();
  host = await machine({ commands: { slirp4netns: null, pasta, rootlesskit: rootlesskitHandler(rootlesskitHelp("3.0.0"), SMOKE_STDOUT) } });
  r = await check(host);
  expect(r.ok).toBe(true);
  expect(r.facts.networkDriver).toBe("gvisor-tap-vsock");
  expect(byId(r, "binaries.network")?.message).toContain("gvisor-tap-vsock (built into RootlessKit 3.0.0), MTU 65520, port driver builtin (keeps the client's source IP)");
});

test("newuidmap without setuid and no getcap: error with chmod u+s", async () => {
  host = await machine({ files: { "/usr/bin/newuidmap": { content: "elf", mode: 0o755 } } });
  const f = byId(await check(host), "binaries.newuidmap.not-privileged")!;
  expect(f.level).toBe("error");
  expect(f.message).toContain("getcap is not installed");
  expect(f.sudoFix).toEqual(["chown root:root /usr/bin/newuidmap", "chmod u+s /usr/bin/newuidmap"]);
});

test("newgidmap without setuid but with the file capability is fine (asked through getcap)", async () => {
  const getcap = (argv: string[]) => ok(`${argv[1]} cap_setgid=ep\n`);
  host = await machine({ files: { "/usr/bin/newgidmap": { content: "elf", mode: 0o755 } }, commands: { getcap, "/usr/sbin/getcap": getcap } });
  const r = await check(host);
  expect(byId(r, "binaries.newgidmap")?.message).toContain("cap_setgid");
  expect(problems(r)).toEqual([]);
});

test("a tool printing garbage for --version is found, version unknown, no exception", async () => {
  host = await machine({ commands: { containerd: () => ok("\u0000\u0001 weird\n") } });
  const r = await check(host);
  expect(r.facts.tools.containerd?.version).toBeNull();
  expect(byId(r, "binaries.containerd")?.message).toContain("version unknown");
});

test("config.toml with `version = 3` and containerd 1.6: check fails, naming both versions (containerd would not start)", async () => {
  host = await machine({ files: { "/home/alice/.config/containerd/config.toml": "version = 3\n" } });
  const r = await check(host);
  const f = byId(r, "binaries.containerd.config-version")!;
  expect(f.level).toBe("error");
  expect(f.message).toContain("says `version = 3`, but the installed containerd 1.6.20 reads configuration versions up to 2");
  expect(r.ok).toBe(false);
  await host.cleanup();
  host = await machine({ files: { "/home/alice/.config/containerd/config.toml": "version = 3\n" }, commands: { containerd: () => ok("containerd github.com/containerd/containerd/v2 v2.1.4 abc\n") } });
  expect(byId(await check(host), "binaries.containerd.config-version")).toBeUndefined();
});

test("no `ip` (iproute2): fatal, naming what RootlessKit runs it for and the package; the smoke test with --net=host passes all the same", async () => {
  // a minbase Debian 13 without iproute2: RootlessKit 2.0.2 failed every start ("nsenter: failed to execute ip") while check said all was well
  for (const [help, net] of [["1.1.0", "slirp4netns"], ["2.3.6", "slirp4netns"], ["3.0.0", "slirp4netns"]] as const) {
    host = await machine({ commands: { ip: null, rootlesskit: rootlesskitHandler(rootlesskitHelp(help), SMOKE_STDOUT) } });
    const r = await check(host);
    const f = byId(r, "binaries.ip.missing")!;
    expect(f.level).toBe("error");
    expect(f.message).toBe(`ip (package iproute2) was not found on PATH or in the sbin directories: RootlessKit runs it to set up the ${net} network in its namespace (\`ip link\`, \`ip addr\`, \`ip route\`, \`ip tuntap\`), so containerd.service would fail at every start.`);
    expect(f.sudoFix).toEqual(["apt-get install -y iproute2"]);
    expect(byId(r, "rootlesskit.smoke")?.level).toBe("ok");
    expect(r.findings.some((x) => x.level === "error" && x.id !== "binaries.ip.missing")).toBe(false);
    await host.cleanup();
  }
  host = await machine();
  expect(byId(await check(host), "binaries.ip")?.message).toStartWith("ip (/usr/bin/ip): RootlessKit runs it");
});
