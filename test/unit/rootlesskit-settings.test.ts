import { test, expect, describe } from "bun:test";
import {
  SETTINGS, ROOTLESSKIT_SETTINGS, parseSettings, rawSettingsFromEnv, rawSettingsFromFlags, rawSettingsToEnv, splitWords, findSetting, SettingsError,
} from "../../src/core/rootlesskit/settings.ts";

const refused = (raw: Record<string, string>, style: "env" | "flag" = "env"): SettingsError => {
  try {
    parseSettings(raw, style);
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return e as SettingsError;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
};

describe("model", () => {
  test("one entry per seed variable, with env name and configure flag; then containerd's proxy variables", () => {
    expect(SETTINGS.filter((s) => s.proxy).map((s) => [s.env, s.flag])).toEqual([
      ["HTTP_PROXY", "--http-proxy"],
      ["HTTPS_PROXY", "--https-proxy"],
      ["NO_PROXY", "--no-proxy"],
    ]);
    expect(ROOTLESSKIT_SETTINGS.map((s) => [s.env, s.flag])).toEqual([
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR", "--state-dir"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_NET", "--net"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU", "--mtu"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", "--port-driver"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX", "--slirp4netns-sandbox"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SECCOMP", "--slirp4netns-seccomp"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS", "--detach-netns"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_IPV6", "--ipv6"],
      ["CONTAINERD_ROOTLESS_ROOTLESSKIT_FLAGS", "--flags"],
    ]);
    for (const s of SETTINGS) expect(s.description.length).toBeGreaterThan(5);
  });
  test("findSetting accepts key, env, short env and flag spellings", () => {
    for (const n of ["mtu", "MTU", "--mtu", "CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU"]) expect(findSetting(n)?.key).toBe("mtu");
    expect(findSetting("detach-netns")?.key).toBe("detachNetns");
    expect(findSetting("nope")).toBeUndefined();
  });
});

describe("parsing valid values", () => {
  test("env -> typed settings", () => {
    const env = {
      CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR: "/run/user/1000/rk",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "vpnkit",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "1500",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER: "slirp4netns",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX: "false",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SECCOMP: "true",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "0",
      CONTAINERD_ROOTLESS_ROOTLESSKIT_FLAGS: "--pidns  --cidr=10.0.3.0/24",
      OTHER: "x",
    };
    expect(parseSettings(rawSettingsFromEnv(env))).toEqual({
      stateDir: "/run/user/1000/rk", net: "vpnkit", mtu: 1500, portDriver: "slirp4netns", slirp4netnsSandbox: "false",
      slirp4netnsSeccomp: "true", detachNetns: "false", flags: ["--pidns", "--cidr=10.0.3.0/24"],
    });
  });
  test("DETACH_NETNS accepts true/1/false/0/auto", () => {
    const p = (v: string) => parseSettings({ detachNetns: v }).detachNetns;
    expect([p("true"), p("1"), p("false"), p("0"), p("auto")]).toEqual(["true", "true", "false", "false", "auto"]);
  });
  test("MTU bounds 576 and 65520 are accepted", () => {
    expect(parseSettings({ mtu: "576" }).mtu).toBe(576);
    expect(parseSettings({ mtu: "65520" }).mtu).toBe(65520);
  });
  test("empty values mean unset", () => {
    expect(parseSettings({ net: "", mtu: "" })).toEqual({});
  });
  test("env <-> flags round trip", () => {
    const raw = rawSettingsFromFlags({ net: "pasta", mtu: "9000", "detach-netns": "false", flags: "--pidns" });
    expect(raw).toEqual({ net: "pasta", mtu: "9000", detachNetns: "false", flags: "--pidns" });
    expect(rawSettingsFromEnv(rawSettingsToEnv(raw))).toEqual(raw);
  });
});

describe("every invalid value is refused with a clear message", () => {
  test("DETACH_NETNS=maybe", () => {
    const e = refused({ detachNetns: "maybe" });
    expect(e.message).toBe('invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="maybe": expected one of: auto, true, false, 1, 0');
    expect(e.fix).toContain("override.conf");
  });
  test("NET=foo lists the drivers", () => {
    expect(refused({ net: "foo" }).message).toBe('invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="foo": expected one of: slirp4netns, vpnkit, lxc-user-nic, pasta, gvisor-tap-vsock');
  });
  test("MTU abc, 0, 70000, 575, -1, 1.5", () => {
    expect(refused({ mtu: "abc" }).message).toContain('MTU="abc": expected a number from 576 to 65520');
    for (const v of ["0", "70000", "575", "65521"]) expect(refused({ mtu: v }).message).toContain(`MTU="${v}": out of range: the MTU must be from 576 to 65520`);
    for (const v of ["-1", "1.5", "1e3"]) expect(refused({ mtu: v }).message).toContain("expected a number");
  });
  test("PORT_DRIVER, SANDBOX, SECCOMP, STATE_DIR, FLAGS", () => {
    expect(refused({ portDriver: "socat" }).message).toContain('PORT_DRIVER="socat": expected one of: builtin, slirp4netns');
    expect(refused({ slirp4netnsSandbox: "yes" }).message).toContain('SLIRP4NETNS_SANDBOX="yes": expected one of: auto, true, false');
    expect(refused({ slirp4netnsSeccomp: "1" }).message).toContain('SLIRP4NETNS_SECCOMP="1": expected one of: auto, true, false');
    expect(refused({ stateDir: "relative/dir" }).message).toContain("expected an absolute path");
    expect(refused({ flags: "--foo='bar" }).message).toContain("unbalanced ' quote");
  });
  test("flag style names the configure flag; all problems at once", () => {
    const e = refused({ net: "foo", mtu: "0" }, "flag");
    expect(e.problems.map((p) => p.key)).toEqual(["net", "mtu"]);
    expect(e.message).toContain("invalid --net=foo");
    expect(e.message).toContain("invalid --mtu=0");
  });
});

test("splitWords splits like a shell", () => {
  expect(splitWords(`  --a=1\t--b "x y" 'p q' c\\ d --e="f g" `)).toEqual(["--a=1", "--b", "x y", "p q", "c d", "--e=f g"]);
  expect(splitWords("")).toEqual([]);
  expect(splitWords(`""`)).toEqual([""]);
});
