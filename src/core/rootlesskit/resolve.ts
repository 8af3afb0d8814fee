// The RootlessKit settings in effect: defaults and auto-detection applied to what the
// user set, validated against the installed RootlessKit and helpers, and the exact
// `rootlesskit` command line the launcher runs (behaviour.md, "The launcher").
import type { Paths } from "../os/paths.ts";
import type { RootlessKitFacts } from "./facts.ts";
import { DRIVER_PROGRAM } from "./facts.ts";
import { SettingsError, settingName, type NameStyle, type SettingProblem, type SettingsInput, type NetDriver } from "./settings.ts";

export interface ResolvedSettings {
  stateDir: string;
  net: NetDriver;
  mtu: number;
  portDriver: string;
  slirp4netnsSandbox: "auto" | "true" | "false";
  slirp4netnsSeccomp: "auto" | "true" | "false";
  detachNetns: boolean;
  flags: string[];
  /** how each auto value was decided, for `configure --show` and the launcher's log */
  notes: string[];
}

const rkName = (facts: RootlessKitFacts) => `RootlessKit ${facts.version ?? "(unknown version)"}`;

/**
 * Applies defaults and auto-detection, then checks the result against the machine.
 * Throws SettingsError naming every problem and how to fix it.
 */
export function resolveSettings(input: SettingsInput, facts: RootlessKitFacts, paths: Paths, style: NameStyle = "env"): ResolvedSettings {
  const problems: SettingProblem[] = [];
  const notes: string[] = [];
  const say = (key: SettingProblem["key"], value: string, message: string) => problems.push({ key, value, message });
  const name = (key: SettingProblem["key"]) => settingName(key, style);

  if (!facts.rootlesskit) {
    throw new SettingsError([{ key: "net", value: "", message: "rootlesskit is not installed (not found on PATH)" }], "Install RootlessKit (Debian/Ubuntu: `sudo apt-get install rootlesskit`).");
  }

  let net: NetDriver;
  if (input.net) {
    net = input.net;
    if (!facts.netDrivers.includes(net)) {
      say("net", net, `${name("net")}=${net}: the installed ${rkName(facts)} does not support this network driver (it supports: ${facts.netDrivers.filter((d) => d !== "host").join(", ")})${net === "pasta" || net === "gvisor-tap-vsock" ? "; it needs a newer RootlessKit" : ""}`);
    } else if (!facts.driverInstalled[net]) {
      say("net", net, `${name("net")}=${net}: the program \`${DRIVER_PROGRAM[net]}\` is not installed (not found on PATH); install it or choose another driver`);
    }
  } else if (facts.slirp4netnsUsable) {
    net = "slirp4netns";
    notes.push("net: slirp4netns (auto: slirp4netns >= 0.4.0 is installed)");
  } else if (facts.driverInstalled.vpnkit) {
    net = "vpnkit";
    notes.push("net: vpnkit (auto: no slirp4netns >= 0.4.0 found)");
  } else {
    net = "slirp4netns";
    say("net", "", "no network driver: either slirp4netns (>= v0.4.0) or vpnkit needs to be installed (Debian/Ubuntu: `sudo apt-get install slirp4netns`)");
  }

  const mtu = input.mtu ?? (net === "slirp4netns" ? 65520 : 1500);
  if (input.mtu === undefined) notes.push(`mtu: ${mtu} (default for ${net})`);

  const portDriver = input.portDriver ?? "builtin";
  if (!facts.portDrivers.includes(portDriver)) {
    say("portDriver", portDriver, `${name("portDriver")}=${portDriver}: the installed ${rkName(facts)} does not support this port driver (it supports: ${facts.portDrivers.join(", ")})`);
  } else if (portDriver === "slirp4netns" && net !== "slirp4netns") {
    say("portDriver", portDriver, `${name("portDriver")}=slirp4netns needs the slirp4netns network driver, but the network driver is ${net}`);
  }

  const detachSetting = input.detachNetns ?? "auto";
  let detachNetns: boolean;
  if (detachSetting === "auto") {
    detachNetns = facts.detachNetns;
    notes.push(`detach-netns: ${detachNetns ? "on" : "off"} (auto: ${rkName(facts)}${detachNetns ? " has" : " has no"} --detach-netns)`);
  } else if (detachSetting === "true") {
    detachNetns = true;
    if (!facts.detachNetns) {
      say("detachNetns", "true", `${name("detachNetns")}=true needs RootlessKit >= 2.0 (--detach-netns), but the installed version is ${facts.version ?? "unknown"}; upgrade RootlessKit or use auto or false`);
    }
  } else detachNetns = false;

  const sandbox = input.slirp4netnsSandbox ?? "auto";
  if (sandbox === "true" && detachNetns) {
    say("slirp4netnsSandbox", "true", `${name("slirp4netnsSandbox")}=true conflicts with detach-netns; set ${name("slirp4netnsSandbox")} to auto or false, or ${name("detachNetns")} to false`);
  }

  if (problems.length) throw new SettingsError(problems);
  return {
    stateDir: input.stateDir ?? paths.rootlesskitStateDir,
    net,
    mtu,
    portDriver,
    slirp4netnsSandbox: sandbox,
    slirp4netnsSeccomp: input.slirp4netnsSeccomp ?? "auto",
    detachNetns,
    flags: input.flags ?? [],
    notes,
  };
}

/** The flags of `rootlesskit` in the reference wrapper's order; the child command follows. */
export function rootlesskitFlags(s: ResolvedSettings): string[] {
  return [
    `--state-dir=${s.stateDir}`,
    `--net=${s.net}`,
    `--mtu=${s.mtu}`,
    `--slirp4netns-sandbox=${s.slirp4netnsSandbox}`,
    `--slirp4netns-seccomp=${s.slirp4netnsSeccomp}`,
    "--disable-host-loopback",
    `--port-driver=${s.portDriver}`,
    "--copy-up=/etc",
    "--copy-up=/run",
    "--copy-up=/var/lib",
    "--propagation=rslave",
    ...(s.detachNetns ? ["--detach-netns"] : []),
    ...s.flags,
  ];
}

/** The whole command: `rootlesskit <flags> <child...>`. */
export function rootlesskitArgv(rootlesskit: string, s: ResolvedSettings, child: string[]): string[] {
  return [rootlesskit, ...rootlesskitFlags(s), ...child];
}
