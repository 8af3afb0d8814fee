// The probes for what users run into after the basics (issue 12, item 5), on a TestHost:
// ports below 1024, ping, proxies, nerdctl's CNI plugins and iptables, DNS with a stub
// resolver, pasta on Ubuntu 24.04. Each present and absent; none of them makes `check` fail.
import { test, expect, afterEach, describe } from "bun:test";
import { symlink, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId, baseCommands } from "./checks-fixture.ts";
import { findingText, sudoScript } from "../../src/core/checks/report.ts";
import { ubuntuAtLeast2404 } from "../../src/core/checks/pasta.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";
const ids = (r: Awaited<ReturnType<typeof check>>, prefix: string) => r.findings.filter((f) => f.id.startsWith(prefix)).map((f) => `${f.id}:${f.level}`);

describe("ports below 1024", () => {
  test("ip_unprivileged_port_start=1024: information with the sysctl.d drop-in and the setcap alternative, outside the sudo block", async () => {
    host = await machine({ files: { "/proc/sys/net/ipv4/ip_unprivileged_port_start": "1024\n" } });
    const r = await check(host);
    const f = byId(r, "unprivileged.ports")!;
    expect(f.level).toBe("info");
    expect(f.message).toContain("cannot publish ports below 1024");
    expect(f.sudoFix).toEqual(['echo "net.ipv4.ip_unprivileged_port_start=0" > /etc/sysctl.d/99-rootless-unprivileged-ports.conf', "sysctl -w net.ipv4.ip_unprivileged_port_start=0"]);
    expect(f.fix).toContain("sudo setcap cap_net_bind_service=ep /usr/bin/rootlesskit");
    expect(r.ok).toBe(true);
    expect(sudoScript(r.findings)).not.toContain("ip_unprivileged_port_start");
    expect(findingText(f)).toContain("optional, as root:\n    echo \"net.ipv4.ip_unprivileged_port_start=0\"");
  });

  test("0 is fine; so is RootlessKit with cap_net_bind_service", async () => {
    host = await machine({ files: { "/proc/sys/net/ipv4/ip_unprivileged_port_start": "0\n" } });
    expect(byId(await check(host), "unprivileged.ports")?.level).toBe("ok");
    await host.cleanup();
    host = await machine({ files: { "/proc/sys/net/ipv4/ip_unprivileged_port_start": "1024\n" }, commands: { getcap: (argv) => ok(`${argv[1]} cap_net_bind_service=ep\n`) } });
    expect(byId(await check(host), "unprivileged.ports")).toMatchObject({ level: "ok", message: expect.stringContaining("has cap_net_bind_service") });
  });
});

describe("ping", () => {
  test("the kernel default range (1 0) allows no group: information with the drop-in", async () => {
    host = await machine({ files: { "/proc/sys/net/ipv4/ping_group_range": "1\t0\n" } });
    const f = byId(await check(host), "unprivileged.ping")!;
    expect(f.level).toBe("info");
    expect(f.message).toContain("allows no group");
    expect(f.sudoFix).toContain('sysctl -w net.ipv4.ping_group_range="0 2147483647"');
  });

  test("a range that holds the user's gid but not the sub-gids is named; the full range is fine", async () => {
    host = await machine({ files: { "/proc/sys/net/ipv4/ping_group_range": "0 1000\n" } });
    expect(byId(await check(host), "unprivileged.ping")?.message).toContain("which leaves out gids 100000-165535");
    await host.cleanup();
    host = await machine({ files: { "/proc/sys/net/ipv4/ping_group_range": "0\t2147483647\n" } });
    expect(byId(await check(host), "unprivileged.ping")?.level).toBe("ok");
  });
  test("the network driver decides whether the range matters: lxc-user-nic needs none, vpnkit cannot ping", async () => {
    const override = (net: string) => ({ [OVERRIDE]: `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=${net}\n`, "/proc/sys/net/ipv4/ping_group_range": "1\t0\n" });
    host = await machine({ files: override("lxc-user-nic") });
    expect(byId(await check(host), "unprivileged.ping")?.level).toBe("ok");
    await host.cleanup();
    host = await machine({ files: override("vpnkit") });
    expect(byId(await check(host), "unprivileged.ping")?.message).toContain("does not work with the vpnkit network driver");
  });
});

describe("proxies", () => {
  test("none anywhere: one ok finding", async () => {
    host = await machine();
    expect(ids(await check(host), "proxy")).toEqual(["proxy:ok"]);
  });

  test("HTTPS_PROXY in the shell that the service does not see: a warning with the configure command", async () => {
    host = await machine({ env: { https_proxy: "http://proxy.corp:3128" } });
    const r = await check(host);
    const f = byId(r, "proxy.https_proxy.unseen")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("https_proxy=http://proxy.corp:3128 is set in your environment, but containerd.service will not see it");
    expect(f.fix).toContain("containerd-rootless-systemd configure --https-proxy http://proxy.corp:3128");
    expect(r.ok).toBe(true);
  });

  test("the same value in containerd.service's drop-in: seen, nothing to say", async () => {
    host = await machine({ env: { HTTPS_PROXY: "http://proxy.corp:3128" }, files: { [OVERRIDE]: '[Service]\nEnvironment=HTTPS_PROXY="http://proxy.corp:3128"\n' } });
    const r = await check(host);
    expect(ids(r, "proxy")).toEqual(["proxy:ok"]);
    expect(byId(r, "proxy")!.message).toBe("containerd.service sees HTTPS_PROXY=http://proxy.corp:3128");
  });

  test("a loopback proxy in the shell without detach-netns: passing it on would not help, and the fix says so", async () => {
    host = await machine({ env: { HTTP_PROXY: "http://127.0.0.1:3128" } });
    const f = byId(await check(host), "proxy.http_proxy.unseen")!;
    expect(f.message).toContain("Passing it on is not enough: HTTP_PROXY=http://127.0.0.1:3128 points at this machine's loopback");
    expect(f.fix).toContain("--detach-netns true");
    expect(f.fix).toContain("configure --http-proxy http://HOST-ADDRESS:PORT");
  });

  test("a loopback proxy in the service: a warning; with detach-netns forced on, none (RootlessKit 2 lists the flag)", async () => {
    const files = { [OVERRIDE]: '[Service]\nEnvironment=HTTPS_PROXY="http://localhost:3128"\n' };
    host = await machine({ files });
    expect(byId(await check(host), "proxy.https_proxy.loopback")?.level).toBe("warning");
    await host.cleanup();
    const rk2 = (argv: string[]) => (argv[1] === "--version" ? ok("rootlesskit version 2.3.1\n") : argv[1] === "--help" ? ok("  --detach-netns   detach network namespaces\n") : ok("crs-smoke-ok\ncrs-overlay-ok\n"));
    host = await machine({ files, commands: { rootlesskit: rk2 } });
    expect(ids(await check(host), "proxy")).toEqual(["proxy:ok"]);
    await host.cleanup();
    host = await machine({ files: { [OVERRIDE]: files[OVERRIDE] + 'Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"\n' }, commands: { rootlesskit: rk2 } });
    expect(byId(await check(host), "proxy.https_proxy.loopback")?.level).toBe("warning");
  });
});

describe("CNI plugins and iptables", () => {
  const plugins = (dir: string) => Object.fromEntries(["bridge", "host-local", "portmap", "firewall", "tuning", "loopback"].map((p) => [`${dir}/${p}`, { content: "elf", mode: 0o755 }]));

  test("Debian's /usr/lib/cni with every plugin, and iptables: ok", async () => {
    host = await machine({ files: plugins("/usr/lib/cni"), commands: { iptables: () => ok() } });
    const r = await check(host);
    expect(byId(r, "cni.plugins")?.message).toContain("/usr/lib/cni (nerdctl's default)");
    expect(byId(r, "cni.iptables")?.level).toBe("ok");
  });

  test("no plugins, no iptables, no nerdctl: optional information with the packages", async () => {
    host = await machine();
    const r = await check(host);
    expect(byId(r, "cni.plugins.missing")).toMatchObject({ level: "info", sudoFix: ["apt-get install -y containernetworking-plugins"] });
    expect(byId(r, "cni.iptables.missing")).toMatchObject({ level: "info", sudoFix: ["apt-get install -y iptables"] });
    expect(sudoScript(r.findings)).toBe("");
  });

  test("with nerdctl installed, a CNI_PATH missing plugins is a warning naming them; the fix joins the sudo block", async () => {
    const files = plugins("/home/alice/cni");
    delete files["/home/alice/cni/firewall"];
    host = await machine({ files: { ...files, ...plugins("/usr/lib/cni") }, env: { CNI_PATH: "/home/alice/cni" }, commands: { nerdctl: () => ok(), iptables: () => ok() } });
    const r = await check(host);
    const f = byId(r, "cni.plugins.missing")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("needs the CNI plugins firewall, which are not in /home/alice/cni (CNI_PATH)");
    expect(sudoScript(r.findings)).toContain("apt-get install -y containernetworking-plugins");
    expect(r.ok).toBe(true);
  });

  test("cni_path in nerdctl.toml is the directory nerdctl uses", async () => {
    host = await machine({ files: { ...plugins("/srv/cni"), "/home/alice/.config/nerdctl/nerdctl.toml": 'cni_path = "/srv/cni"\n' } });
    expect(byId(await check(host), "cni.plugins")?.message).toContain("/srv/cni (cni_path in /home/alice/.config/nerdctl/nerdctl.toml)");
  });
});

describe("DNS with a stub resolver and slirp4netns", () => {
  test("127.0.0.53 with systemd-resolved's upstream servers: what the containers use", async () => {
    host = await machine({ files: { "/etc/resolv.conf": "nameserver 127.0.0.53\noptions edns0\n", "/run/systemd/resolve/resolv.conf": "nameserver 192.168.1.1\nnameserver 127.0.0.1\n" } });
    const f = byId(await check(host), "dns.stub")!;
    expect(f.level).toBe("info");
    expect(f.message).toContain("RootlessKit's namespace uses 10.0.2.3, slirp4netns's forwarder, which asks 127.0.0.53 from the host");
    expect(f.message).toContain("then the servers systemd-resolved itself uses (192.168.1.1, from /run/systemd/resolve/resolv.conf)");
  });

  test("no upstream servers: containers fall back to 8.8.8.8; a real nameserver or another driver: nothing to say", async () => {
    host = await machine({ files: { "/etc/resolv.conf": "nameserver 127.0.0.53\n" } });
    expect(byId(await check(host), "dns.stub")?.message).toContain("then 8.8.8.8 and 8.8.4.4");
    await host.cleanup();
    host = await machine({ files: { "/etc/resolv.conf": "nameserver 10.255.255.53\n" } });
    expect(ids(await check(host), "dns")).toEqual([]);
    await host.cleanup();
    host = await machine({ files: { "/etc/resolv.conf": "nameserver 127.0.0.53\n", [OVERRIDE]: "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=vpnkit\n" } });
    expect(ids(await check(host), "dns")).toEqual([]);
  });

  test("/etc/resolv.conf linked outside /etc and /run: slirp4netns's sandbox breaks DNS, unless the sandbox is off", async () => {
    host = await machine({ files: { "/nix/store/abc-etc/resolv.conf": "nameserver 127.0.0.53\n" } });
    await mkdir(join(host.root, "etc"), { recursive: true });
    await symlink(join(host.root, "nix/store/abc-etc/resolv.conf"), join(host.root, "etc/resolv.conf"));
    const f = byId(await check(host), "dns.sandbox")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("a link to /nix/store/abc-etc/resolv.conf");
    expect(f.fix).toContain("configure --slirp4netns-sandbox false");
    await mkdir(join(host.root, "home/alice/.config/systemd/user/containerd.service.d"), { recursive: true });
    await writeFile(join(host.root, OVERRIDE), "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false\n");
    expect(byId(await check(host), "dns.sandbox")).toBeUndefined();
  });
});

describe("pasta on Ubuntu >= 24.04", () => {
  const ubuntu = (version: string) => `PRETTY_NAME="Ubuntu ${version} LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="${version}"\n`;
  const base = (version: string, extra: Record<string, string> = {}) => ({
    files: {
      "/etc/os-release": ubuntu(version),
      "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n",
      [OVERRIDE]: "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=pasta\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit\n",
      ...extra,
    },
    commands: {
      pasta: () => ok("pasta 0.0~git20240220.1e6f92b-1\n"),
      // RootlessKit 2.x lists pasta for --net (rootless-containers/rootlesskit v2.3.1, cmd/rootlesskit/main.go)
      rootlesskit: (argv: string[]) =>
        argv[1] === "--version" ? ok("rootlesskit version 2.3.1\n") : argv[1] === "--help" ? ok("   --net value  network driver [host, pasta, slirp4netns, vpnkit, lxc-user-nic] (default: \"host\")\n   --port-driver value  port driver for non-host network. [none, implicit (for pasta), builtin, slirp4netns] (default: \"none\")\n   --detach-netns  detach network namespaces\n") : ok("crs-smoke-ok\ncrs-overlay-ok\n"),
    },
  });

  test("pasta chosen, AppArmor restricting user namespaces, no usr.bin.pasta profile: a warning with the profile fix", async () => {
    host = await machine(base("24.04"));
    const r = await check(host);
    const f = byId(r, "pasta.apparmor")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("/usr/bin/pasta has no AppArmor profile");
    expect(f.fix).toContain("usr.bin.pasta");
    expect(r.ok).toBe(true);
  });

  test("with the profile, on 22.04, or with slirp4netns: nothing wrong", async () => {
    host = await machine(base("24.04", { "/etc/apparmor.d/usr.bin.pasta": "profile pasta {}\n" }));
    expect(byId(await check(host), "pasta.apparmor")?.level).toBe("ok");
    await host.cleanup();
    host = await machine(base("22.04"));
    expect(byId(await check(host), "pasta.apparmor")).toBeUndefined();
    await host.cleanup();
    host = await machine({ ...base("24.04"), files: { ...base("24.04").files, [OVERRIDE]: "" } });
    expect(byId(await check(host), "pasta.apparmor")).toBeUndefined();
  });

  test("version comparison", () => {
    expect(ubuntuAtLeast2404("ubuntu", "24.04")).toBe(true);
    expect(ubuntuAtLeast2404("ubuntu", "25.10")).toBe(true);
    expect(ubuntuAtLeast2404("ubuntu", "23.10")).toBe(false);
    expect(ubuntuAtLeast2404("debian", "24.04")).toBe(false);
  });
});

test("the new probes ask RootlessKit nothing of their own: one --help per check, shared with the capability model", async () => {
  host = await machine({ env: { HTTPS_PROXY: "http://127.0.0.1:3128" }, files: { "/etc/resolv.conf": "nameserver 127.0.0.53\n" } });
  await check(host);
  expect(host.calls.filter((c) => c[0]!.endsWith("rootlesskit") && c[1] === "--help").length).toBe(1);
  expect(baseCommands().rootlesskit).toBeDefined();
});
