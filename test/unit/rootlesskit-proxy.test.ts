// Proxy settings for containerd (issue 12, item 6): HTTP_PROXY/HTTPS_PROXY/NO_PROXY are
// settings of the same model as the RootlessKit ones (configure flags, drop-in, apply, export),
// validated as URLs with a scheme, never handed to the launcher, and a loopback proxy without
// detach-netns is called out with what to do.
import { test, expect, describe, onTestFinished } from "bun:test";
import { runCommand } from "citty";
import { ok } from "../helpers/test-host.ts";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import { DEBIAN_12_ROOTLESSKIT as FACTS, OVERRIDE, configureTestHost } from "../helpers/rootlesskit-facts.ts";
import { parseSettings, rawSettingsFromEnv, rawSettingsFromFlags, SettingsError, findSetting } from "../../src/core/rootlesskit/settings.ts";
import { dropInSettings, updateDropIn } from "../../src/core/rootlesskit/dropin.ts";
import { goProxyValue, isLoopbackProxy, noProxyProblem, proxyUrlProblem, proxyWarnings } from "../../src/core/rootlesskit/proxy.ts";
import { parseDesiredState, DesiredStateError } from "../../src/core/desired-state/parse.ts";
import { currentDesiredState } from "../../src/core/desired-state/export.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import configureCommand from "../../src/commands/configure.ts";

const setup = configureTestHost();

describe("syntax", () => {
  test("a proxy is a URL with a scheme containerd accepts and a host", () => {
    expect(proxyUrlProblem("http://proxy.example.com:3128")).toBeNull();
    expect(proxyUrlProblem("socks5h://10.0.0.1:1080")).toBeNull();
    expect(proxyUrlProblem("http://user:pw@[2001:db8::1]:3128")).toBeNull();
    expect(proxyUrlProblem("proxy.example.com:3128")).toContain("expected a URL with a scheme");
    expect(proxyUrlProblem("ftp://proxy:21")).toContain("the scheme ftp is not one containerd accepts");
    expect(proxyUrlProblem("http://")).not.toBeNull();
    expect(proxyUrlProblem("http://a b:1")).toContain("without spaces");
  });

  test("NO_PROXY is a comma-separated list of hosts, domains, addresses and CIDRs", () => {
    expect(noProxyProblem("localhost,127.0.0.1,.example.com,10.0.0.0/8,[::1]:5000,*")).toBeNull();
    expect(noProxyProblem("a,,b")).toContain("without empty entries");
    expect(noProxyProblem("a b")).toContain('"a b" is not a host name');
  });

  test("Go's reading of the environment: upper case first, empty is unset; loopback in every spelling", () => {
    expect(goProxyValue({ HTTPS_PROXY: "", https_proxy: "http://b:1" }, "HTTPS_PROXY")).toBe("http://b:1");
    expect(goProxyValue({ HTTPS_PROXY: "http://a:1", https_proxy: "http://b:1" }, "HTTPS_PROXY")).toBe("http://a:1");
    for (const v of ["http://127.0.0.1:3128", "http://localhost:3128", "127.0.0.1:3128", "http://[::1]:3128", "socks5://127.1.2.3:1080"]) expect(isLoopbackProxy(v)).toBe(true);
    for (const v of ["http://10.0.0.1:3128", "http://proxy.example.com", "http://127.example.com"]) expect(isLoopbackProxy(v)).toBe(false);
  });
});

describe("the settings model", () => {
  test("flags --http-proxy/--https-proxy/--no-proxy are settings; a bad one is refused by name", () => {
    expect(rawSettingsFromFlags({ "https-proxy": "http://p:3128", "no-proxy": "localhost" })).toEqual({ httpsProxy: "http://p:3128", noProxy: "localhost" });
    expect(findSetting("https-proxy")?.env).toBe("HTTPS_PROXY");
    expect(findSetting("HTTP_PROXY")?.key).toBe("httpProxy");
    try {
      parseSettings({ httpsProxy: "proxy:3128", noProxy: "a,,b" }, "flag");
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError);
      expect((e as SettingsError).message).toContain("invalid --https-proxy=proxy:3128: expected a URL with a scheme");
      expect((e as SettingsError).problems.map((p) => p.key)).toEqual(["httpsProxy", "noProxy"]);
    }
  });

  test("the launcher never sees them: not RootlessKit input, and a scheme-less manager proxy does not break it", () => {
    const env = { HTTP_PROXY: "proxy:3128", HTTPS_PROXY: "http://p:3128", CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "1500" };
    expect(rawSettingsFromEnv(env)).toEqual({ mtu: "1500" });
    expect(parseSettings({ httpProxy: "proxy:3128", mtu: "1500" }, "env")).toEqual({ mtu: 1500 });
  });

  test("the drop-in gets plain HTTPS_PROXY=… lines beside our others, and reads back", () => {
    const text = updateDropIn("[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=\"1500\"\n", { httpsProxy: "http://p:3128", noProxy: "localhost,.corp" });
    expect(text).toBe('[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\nEnvironment=HTTPS_PROXY="http://p:3128"\nEnvironment=NO_PROXY="localhost,.corp"\n');
    expect(dropInSettings(text)).toEqual({ mtu: "1500", httpsProxy: "http://p:3128", noProxy: "localhost,.corp" });
    expect(updateDropIn(text, { httpsProxy: null, noProxy: null })).toBe('[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n');
  });
});

describe("configure", () => {
  test("plans HTTPS_PROXY into override.conf; RootlessKit's flags are untouched", async () => {
    const { host, paths } = await setup();
    const plan = await planConfigure(host, paths, { set: { httpsProxy: "http://proxy.example.com:3128", noProxy: "localhost" }, reset: [] }, FACTS);
    expect(plan.after).toBe('[Service]\nEnvironment=HTTPS_PROXY="http://proxy.example.com:3128"\nEnvironment=NO_PROXY="localhost"\n');
    expect(plan.effective.find((e) => e.key === "httpsProxy")).toMatchObject({ value: "http://proxy.example.com:3128", source: "drop-in", resolved: undefined });
    expect(proxyWarnings(plan.effective, plan.settings)).toEqual([]);
  });

  test("a scheme-less proxy is refused before anything is written", async () => {
    const { host, paths } = await setup();
    await expect(planConfigure(host, paths, { set: { httpProxy: "proxy:3128" }, reset: [] }, FACTS)).rejects.toThrow("invalid --http-proxy=proxy:3128: expected a URL with a scheme");
    expect(await host.exists(OVERRIDE)).toBe(false);
  });

  test("a scheme-less HTTP_PROXY in the manager's environment does not stop configuring something else", async () => {
    const { host, paths } = await setup({}, "HTTP_PROXY=proxy:3128\n");
    const plan = await planConfigure(host, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
    expect(plan.effective.find((e) => e.key === "httpProxy")).toMatchObject({ value: "proxy:3128", source: "environment" });
  });

  test("a loopback proxy without detach-netns: the warning says why and what to do; with detach-netns none", async () => {
    const { host, paths } = await setup();
    const plan = await planConfigure(host, paths, { set: { httpsProxy: "http://127.0.0.1:3128" }, reset: [] }, FACTS);
    const [w, ...more] = proxyWarnings(plan.effective, plan.settings);
    expect(more).toEqual([]);
    expect(w).toContain("HTTPS_PROXY=http://127.0.0.1:3128 points at this machine's loopback, which containerd cannot reach");
    expect(w).toContain("--detach-netns true");
    expect(w).toContain("an address of this machine other than loopback");
    expect(proxyWarnings(plan.effective, { ...plan.settings, detachNetns: true })).toEqual([]);
  });

  test("the command: --https-proxy with a loopback URL warns, writes the drop-in and reports the warning in --json", async () => {
    const { h: host } = await fakeSystemd({
      commands: {
        rootlesskit: (argv) => (argv[1] === "--version" ? ok("rootlesskit version 1.1.0\n") : ok("--net value  network driver [host, slirp4netns]\n")),
        slirp4netns: () => ok("  --netns-type=TYPE\n"),
      },
    });
    onTestFinished(() => host.cleanup());
    const { result } = await runCommand(configureCommand, { rawArgs: ["--https-proxy", "http://localhost:3128", "--no-proxy", "localhost,.corp", "--yes", "--json"], data: { host } });
    expect(result).toBe(0);
    expect(await host.readText(OVERRIDE)).toBe('[Service]\nEnvironment=HTTPS_PROXY="http://localhost:3128"\nEnvironment=NO_PROXY="localhost,.corp"\n');
    const doc = JSON.parse(host.out);
    expect(doc.changed).toBe(true);
    expect(doc.warnings[0]).toContain("HTTPS_PROXY=http://localhost:3128 points at this machine's loopback");
    host.out = "";
    const eq = await runCommand(configureCommand, { rawArgs: ["--no-proxy=example.com", "--yes", "--json"], data: { host } });
    expect(eq.result).toBe(0);
    expect(await host.readText(OVERRIDE)).toContain('Environment=NO_PROXY="example.com"\n');
  });
});

describe("apply -f and status --export", () => {
  test("[settings] takes https-proxy/no-proxy; a bad URL is a problem at its line", () => {
    const ok = parseDesiredState('[settings]\nhttps-proxy = "http://p:3128"\nno-proxy = "localhost"\n', "s.toml");
    expect(ok.state.settings).toEqual({ httpsProxy: "http://p:3128", noProxy: "localhost" });
    try {
      parseDesiredState('[settings]\nmtu = 1500\nhttp-proxy = "p:3128"\n', "s.toml");
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(DesiredStateError);
      expect((e as Error).message).toMatch(/s\.toml:3:\d+: settings\.http-proxy: expected a URL with a scheme/);
    }
  });

  test("the export carries the drop-in's proxies under their file keys", async () => {
    const { host, paths } = await setup({ [OVERRIDE]: '[Service]\nEnvironment=HTTPS_PROXY="http://p:3128"\nEnvironment=NO_PROXY=localhost\n' }, "HTTP_PROXY=http://manager:1\n");
    const doc = await currentDesiredState(host, paths);
    expect(doc.settings).toEqual({ "https-proxy": "http://p:3128", "no-proxy": "localhost" });
  });
});
