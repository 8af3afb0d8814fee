import { test, expect, describe, afterEach } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { probeRootlessKitFacts, type RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";
import { resolveSettings, rootlesskitArgv } from "../../src/core/rootlesskit/resolve.ts";
import { parseSettings, SettingsError, type RawSettings } from "../../src/core/rootlesskit/settings.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";

// Handlers are keyed by full path: the probe runs the path `which` found.
// Excerpts of the real `--help` texts.
const HELP_1_1 = `OPTIONS:
    --net value                  network driver [host, slirp4netns, vpnkit, lxc-user-nic(experimental)] (default: "host")
    --mtu value                  MTU for non-host network (default: 65520 for slirp4netns, 1500 for others) (default: 0)
    --port-driver value          port driver for non-host network. [none, builtin, slirp4netns] (default: "none")
`;
const HELP_2_3 = HELP_1_1 + `    --detach-netns               detach network namespaces (default: false)\n`;
const HELP_3 = `    --net value   network driver [host, pasta(experimental), slirp4netns, vpnkit, lxc-user-nic(experimental), gvisor-tap-vsock(experimental)] (default: "host")
    --port-driver value  port driver for non-host network. [none, implicit (for pasta), builtin, slirp4netns] (default: "none")
    --detach-netns  detach network namespaces (default: false)
`;

const hosts: TestHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.cleanup();
});

async function factsFor(opts: { version?: string; help?: string; slirpHelp?: string | null; vpnkit?: boolean; pasta?: boolean; files?: Record<string, string> }): Promise<RootlessKitFacts> {
  const commands: Record<string, (argv: string[]) => ReturnType<typeof ok>> = {
    "/usr/bin/rootlesskit": (argv) => (argv[1] === "--version" ? ok(`rootlesskit version ${opts.version ?? "1.1.0"}\n`) : ok(opts.help ?? HELP_1_1)),
  };
  if (opts.slirpHelp !== null) commands["/usr/bin/slirp4netns"] = () => ok(opts.slirpHelp ?? "Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n--netns-type=TYPE \t specify network namespace type\n");
  if (opts.vpnkit) commands["/usr/bin/vpnkit"] = () => ok();
  if (opts.pasta) commands["/usr/bin/pasta"] = () => ok();
  const host = await makeTestHost({ commands, files: opts.files });
  hosts.push(host);
  return probeRootlessKitFacts(host);
}

const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
const resolve = (raw: RawSettings, facts: RootlessKitFacts) => resolveSettings(parseSettings(raw), facts, paths);
const refusal = (raw: RawSettings, facts: RootlessKitFacts): string => {
  try {
    resolve(raw, facts);
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
  throw new Error("accepted");
};

describe("host facts", () => {
  test("RootlessKit 1.1.0 with slirp4netns 1.2", async () => {
    const f = await factsFor({});
    expect(f).toMatchObject({ rootlesskit: "/usr/bin/rootlesskit", version: "1.1.0", detachNetns: false, slirp4netnsUsable: true });
    expect(f.netDrivers).toEqual(["host", "slirp4netns", "vpnkit", "lxc-user-nic"]);
    expect(f.portDrivers).toEqual(["none", "builtin", "slirp4netns"]);
    expect(f.driverInstalled).toMatchObject({ slirp4netns: true, vpnkit: false, pasta: false, "gvisor-tap-vsock": true });
  });
  test("RootlessKit 3 lists pasta and gvisor-tap-vsock and has --detach-netns", async () => {
    const f = await factsFor({ version: "3.0.0", help: HELP_3, pasta: true });
    expect(f.netDrivers).toEqual(["host", "pasta", "slirp4netns", "vpnkit", "lxc-user-nic", "gvisor-tap-vsock"]);
    expect(f.portDrivers).toContain("implicit");
    expect(f.detachNetns).toBe(true);
  });
  test("slirp4netns older than 0.4.0 (no --netns-type) is not usable", async () => {
    expect((await factsFor({ slirpHelp: "Usage: slirp4netns PID TAPNAME\n" })).slirp4netnsUsable).toBe(false);
  });
});

describe("defaults and auto-detection", () => {
  test("slirp4netns >= 0.4.0 -> slirp4netns with MTU 65520, builtin, auto; 1.1.0 -> no detach-netns", async () => {
    const r = resolve({}, await factsFor({}));
    expect(r).toMatchObject({ stateDir: "/run/user/1000/containerd-rootless", net: "slirp4netns", mtu: 65520, portDriver: "builtin", slirp4netnsSandbox: "auto", slirp4netnsSeccomp: "auto", detachNetns: false, flags: [] });
    expect(r.notes.join("\n")).toContain("detach-netns: off (auto: RootlessKit 1.1.0 has no --detach-netns)");
  });
  test("old slirp4netns -> vpnkit with MTU 1500", async () => {
    const r = resolve({}, await factsFor({ slirpHelp: "old\n", vpnkit: true }));
    expect([r.net, r.mtu]).toEqual(["vpnkit", 1500]);
  });
  test("neither (and no built-in gvisor-tap-vsock) -> error naming what to install", async () => {
    expect(refusal({}, await factsFor({ slirpHelp: null }))).toContain("slirp4netns (>= 0.4.0) or vpnkit needs to be installed, or RootlessKit >= 3.0");
  });
  test("explicit driver without MTU: 1500, except slirp4netns 65520; explicit MTU wins", async () => {
    const f = await factsFor({ vpnkit: true });
    expect(resolve({ net: "vpnkit" }, f).mtu).toBe(1500);
    expect(resolve({ net: "slirp4netns" }, f).mtu).toBe(65520);
    expect(resolve({ net: "slirp4netns", mtu: "1500" }, f).mtu).toBe(1500);
  });
  test("DETACH_NETNS auto is on when rootlesskit --help lists --detach-netns", async () => {
    expect(resolve({}, await factsFor({ version: "2.3.1", help: HELP_2_3 })).detachNetns).toBe(true);
    expect(resolve({ detachNetns: "false" }, await factsFor({ version: "2.3.1", help: HELP_2_3 })).detachNetns).toBe(false);
    expect(resolve({ detachNetns: "1" }, await factsFor({ version: "2.3.1", help: HELP_2_3 })).detachNetns).toBe(true);
  });
});

describe("checked against the machine", () => {
  test("DETACH_NETNS=true on RootlessKit 1.1.0 names the version found and needed", async () => {
    const m = refusal({ detachNetns: "true" }, await factsFor({}));
    expect(m).toContain("CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=true needs RootlessKit >= 2.0");
    expect(m).toContain("the installed version is 1.1.0");
  });
  test("pasta on RootlessKit 1.1.0 is unsupported; on 3.0 without the program it is missing", async () => {
    expect(refusal({ net: "pasta" }, await factsFor({}))).toContain("the installed RootlessKit 1.1.0 does not support this network driver (it supports: slirp4netns, vpnkit, lxc-user-nic); pasta needs RootlessKit >= 2.0");
    expect(refusal({ net: "pasta" }, await factsFor({ version: "3.0.0", help: HELP_3 }))).toContain("the program `pasta` is not installed");
    expect(resolve({ net: "pasta", portDriver: "implicit" }, await factsFor({ version: "3.0.0", help: HELP_3, pasta: true })).mtu).toBe(1500);
    expect(resolve({ net: "gvisor-tap-vsock" }, await factsFor({ version: "3.0.0", help: HELP_3 })).net).toBe("gvisor-tap-vsock");
  });
  test("pasta's port drivers both ways (RootlessKit's own rule, v2.0.0 to v3.0.1): pasta only with implicit or none; implicit only with pasta", async () => {
    const f = await factsFor({ version: "3.0.0", help: HELP_3, pasta: true });
    const byDefault = refusal({ net: "pasta" }, f);
    expect(byDefault).toContain("CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=pasta needs CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit (pasta forwards the ports itself) or none, but the port driver is builtin (the default)");
    expect(byDefault).toContain('RootlessKit 3.0.0 refuses pasta with any other (network "pasta" requires port driver "none" or "implicit")');
    expect(byDefault).toContain("set CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER to implicit or none");
    expect(refusal({ net: "pasta", portDriver: "builtin" }, f)).toContain("but the port driver is builtin:");
    expect(resolve({ net: "pasta", portDriver: "implicit" }, f).portDriver).toBe("implicit");
    expect(resolve({ net: "pasta", portDriver: "none" }, f).portDriver).toBe("none");
    const flag = () => resolveSettings(parseSettings({ net: "pasta" }, "flag"), f, paths, "flag");
    expect(flag).toThrow("--net=pasta needs --port-driver=implicit (pasta forwards the ports itself) or none, but the port driver is builtin (the default)");
    expect(refusal({ portDriver: "implicit" }, f)).toContain("PORT_DRIVER=implicit needs the pasta network driver, but the network driver is slirp4netns");
  });
  test("pasta confined by AppArmor (Debian 13's profile): refused, naming what the profile denies, with the root lines that add the two rules; accepted once they are there", async () => {
    // the end of Debian 13's /etc/apparmor.d/usr.bin.pasta (passt 0.0~git20250503), as installed in the VM
    const debian = "abi <abi/4.0>,\ninclude <tunables/global>\nprofile pasta /usr/bin/pasta{,.avx2} flags=(attach_disconnected) {\n  include <abstractions/pasta>\n  /tmp/**\t\t\t\trw,\n  owner @{HOME}/**\t\t\tw,\n}\n";
    const on = (profile: string) => factsFor({ version: "3.0.0", help: HELP_3, pasta: true, files: { "/sys/module/apparmor/parameters/enabled": "Y\n", "/etc/apparmor.d/usr.bin.pasta": profile } });
    const f = await on(debian);
    expect(f.pastaApparmor).toEqual({ profile: "/etc/apparmor.d/usr.bin.pasta", allowsCopiedUpRun: false, allowsRootlessKitSignal: false });
    let err: SettingsError | undefined;
    try {
      resolve({ net: "pasta", portDriver: "implicit" }, f);
    } catch (e) {
      err = e as SettingsError;
    }
    expect(err?.message).toContain("AppArmor confines pasta (/etc/apparmor.d/usr.bin.pasta), and its profile denies it RootlessKit's signals");
    expect(err?.message).toContain("and the detached network namespace under RootlessKit's copied-up /run");
    expect(err?.fix).toContain("configure --reset net --reset port-driver");
    expect(err?.sudoFix?.join("\n")).toContain("signal (receive) peer=rootlesskit,");
    expect(err?.sudoFix?.at(-1)).toBe("apparmor_parser -r /etc/apparmor.d/usr.bin.pasta");
    // without detach-netns only the signal is missing
    const off = refusal({ net: "pasta", portDriver: "implicit", detachNetns: "false" }, f);
    expect(off).toContain("RootlessKit's signals");
    expect(off).not.toContain("detached network namespace");
    // the profile with the two rules (what the printed root lines make of it): accepted, detach-netns on
    const fixed = debian.replace(/\}\n$/, "  @{run}/.ro*/user/@{uid}/** rw,\n  signal (receive) peer=rootlesskit,\n}\n");
    expect(resolve({ net: "pasta", portDriver: "implicit" }, await on(fixed)).detachNetns).toBe(true);
    // AppArmor off: not confined
    const plain = await factsFor({ version: "3.0.0", help: HELP_3, pasta: true, files: { "/sys/module/apparmor/parameters/enabled": "N\n", "/etc/apparmor.d/usr.bin.pasta": debian } });
    expect(plain.pastaApparmor).toBeNull();
    // slirp4netns is not pasta: the profile does not matter
    expect(resolve({}, f).net).toBe("slirp4netns");
  });
  test("vpnkit explicitly but not installed", async () => {
    expect(refusal({ net: "vpnkit" }, await factsFor({}))).toContain("the program `vpnkit` is not installed");
  });
  test("port driver: unsupported, and slirp4netns needs the slirp4netns network", async () => {
    expect(refusal({ portDriver: "implicit" }, await factsFor({}))).toContain("does not support this port driver");
    expect(refusal({ net: "vpnkit", portDriver: "slirp4netns" }, await factsFor({ vpnkit: true }))).toContain("PORT_DRIVER=slirp4netns needs the slirp4netns network driver");
  });
  test("slirp4netns-sandbox=true conflicts with detach-netns (auto-on too)", async () => {
    const f = await factsFor({ version: "2.3.1", help: HELP_2_3 });
    expect(refusal({ slirp4netnsSandbox: "true" }, f)).toContain("SLIRP4NETNS_SANDBOX=true conflicts with detach-netns");
    expect(resolve({ slirp4netnsSandbox: "true", detachNetns: "false" }, f).slirp4netnsSandbox).toBe("true");
  });
  test("flag style names configure flags", async () => {
    const f = await factsFor({});
    expect(() => resolveSettings(parseSettings({ detachNetns: "true" }, "flag"), f, paths, "flag")).toThrow("--detach-netns=true needs RootlessKit >= 2.0");
  });
  test("no rootlesskit at all", () => {
    expect(() => resolve({}, { rootlesskit: null } as RootlessKitFacts)).toThrow("rootlesskit is not installed");
  });
});

describe("rootlesskit argv", () => {
  test("the reference order, copy-ups, rslave, host loopback off, detach-netns, FLAGS appended verbatim, then the child", async () => {
    const f = await factsFor({ version: "2.3.1", help: HELP_2_3 });
    const s = resolve({ flags: `--pidns --cidr="10.0.9.0/24"`, stateDir: "/run/user/1000/rk" }, f);
    expect(rootlesskitArgv("/usr/bin/rootlesskit", s, ["/home/alice/.local/bin/crs", "launch"])).toEqual([
      "/usr/bin/rootlesskit",
      "--state-dir=/run/user/1000/rk",
      "--net=slirp4netns",
      "--mtu=65520",
      "--slirp4netns-sandbox=auto",
      "--slirp4netns-seccomp=auto",
      "--disable-host-loopback",
      "--port-driver=builtin",
      "--copy-up=/etc",
      "--copy-up=/run",
      "--copy-up=/var/lib",
      "--propagation=rslave",
      "--detach-netns",
      "--pidns",
      "--cidr=10.0.9.0/24",
      "/home/alice/.local/bin/crs",
      "launch",
    ]);
  });
  test("no --detach-netns on 1.1.0", async () => {
    const argv = rootlesskitArgv("/usr/bin/rootlesskit", resolve({}, await factsFor({})), ["x"]);
    expect(argv).not.toContain("--detach-netns");
    expect(argv.at(-1)).toBe("x");
  });
});
