// The RootlessKit settings in effect: defaults and auto-detection applied to what the
// user set, validated against the installed RootlessKit and helpers, and the exact
// `rootlesskit` command line the launcher runs (behaviour.md, "The launcher").
import type { Paths } from "../os/paths.ts";
import type { RootlessKitFacts } from "./facts.ts";
import { DRIVER_PROGRAM } from "./facts.ts";
import { chooseNetDriver, explicitDriverMtu } from "./network.ts";
import { pastaApparmorError, pastaApparmorProblem } from "./pasta-apparmor.ts";
import { SettingsError, settingName, type NameStyle, type SettingProblem, type SettingsInput, type NetDriver } from "./settings.ts";

export interface ResolvedSettings {
  stateDir: string;
  net: NetDriver;
  mtu: number;
  portDriver: string;
  slirp4netnsSandbox: "auto" | "true" | "false";
  slirp4netnsSeccomp: "auto" | "true" | "false";
  detachNetns: boolean;
  ipv6: boolean;
  flags: string[];
  /** how each auto value was decided, for `configure --show` and the launcher's log */
  notes: string[];
}

/**
 * The port drivers RootlessKit starts the pasta network with: "none" and "implicit", and no
 * other, in every release that has pasta (createParentOpt's `case "pasta"` in
 * cmd/rootlesskit/main.go of rootless-containers/rootlesskit at v2.0.0, v2.0.2, v2.3.5, v3.0.0
 * and v3.0.1: `network "pasta" requires port driver "none" or "implicit"`), plus "pesto", which
 * nerdctl's script documents for pasta from RootlessKit 3.1 (containerd/nerdctl@8da50408,
 * extras/rootless/containerd-rootless.sh) and which only a RootlessKit that lists it accepts.
 * The reverse rule (implicit and pesto need pasta) is `needsNet` below.
 */
export const PASTA_PORT_DRIVERS = ["implicit", "none", "pesto"];

const rkName = (facts: RootlessKitFacts) => `RootlessKit ${facts.version ?? "(unknown version)"}`;
const supported = (drivers: string[]) => drivers.filter((d) => d !== "host" && d !== "none").join(", ");

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
  let fix: string | undefined;
  let autoMtu: number | undefined;
  if (input.net) {
    net = input.net;
    if (!facts.netDrivers.includes(net)) {
      say("net", net, `${name("net")}=${net}: the installed ${rkName(facts)} does not support this network driver (it supports: ${supported(facts.netDrivers)})${net === "pasta" || net === "gvisor-tap-vsock" ? `; ${net} needs RootlessKit ${net === "pasta" ? ">= 2.0" : ">= 3.0"}` : ""}`);
    } else if (!facts.driverInstalled[net]) {
      say("net", net, `${name("net")}=${net}: the program \`${DRIVER_PROGRAM[net]}\` is not installed (not found on PATH); install it or choose another driver`);
    }
  } else {
    const choice = chooseNetDriver(facts);
    if (choice.problem === undefined) {
      net = choice.net;
      autoMtu = choice.mtu;
      notes.push(choice.note);
    } else {
      net = "slirp4netns";
      fix = choice.fix;
      say("net", "", choice.problem);
    }
  }

  const mtu = input.mtu ?? autoMtu ?? explicitDriverMtu(net);
  if (input.mtu === undefined) notes.push(`mtu: ${mtu} (default for ${net})`);

  const portDriver = input.portDriver ?? "builtin";
  const needsNet: Record<string, NetDriver> = { slirp4netns: "slirp4netns", implicit: "pasta", pesto: "pasta", "gvisor-tap-vsock": "gvisor-tap-vsock" };
  if (!facts.portDrivers.includes(portDriver)) {
    say("portDriver", portDriver, `${name("portDriver")}=${portDriver}: the installed ${rkName(facts)} does not support this port driver (it supports: ${supported(facts.portDrivers)})`);
  } else if (needsNet[portDriver] && net !== needsNet[portDriver]) {
    say("portDriver", portDriver, `${name("portDriver")}=${portDriver} needs the ${needsNet[portDriver]} network driver, but the network driver is ${net}`);
  } else if (portDriver === "pesto" && !facts.pestoInstalled) {
    say("portDriver", portDriver, `${name("portDriver")}=pesto: the program \`pesto\` (passt 2026_05_07 or later) is not installed (not found on PATH)`);
  } else if (net === "pasta" && !PASTA_PORT_DRIVERS.includes(portDriver)) {
    const which = input.portDriver === undefined ? `${portDriver} (the default)` : portDriver;
    const choices = PASTA_PORT_DRIVERS.filter((d) => facts.portDrivers.includes(d));
    say("portDriver", portDriver, `${name("net")}=pasta needs ${name("portDriver")}=implicit (pasta forwards the ports itself) or none, but the port driver is ${which}: ${rkName(facts)} refuses pasta with any other (network "pasta" requires port driver "none" or "implicit"); set ${name("portDriver")} to ${choices.join(" or ")}`);
  }

  const ipv6 = input.ipv6 ?? false;
  if (ipv6 && !facts.ipv6) {
    say("ipv6", "true", `${name("ipv6")}=true: the installed ${rkName(facts)} has no --ipv6`);
  } else if (ipv6 && !(facts.ipv6Drivers ?? []).includes(net)) {
    say("ipv6", "true", `${name("ipv6")}=true: ${rkName(facts)} supports IPv6 only with ${(facts.ipv6Drivers ?? []).join(", ") || "no driver"}, but the network driver is ${net}`);
  }

  const detachSetting = input.detachNetns ?? "auto";
  let detachNetns: boolean;
  if (detachSetting === "auto") {
    detachNetns = facts.detachNetns;
    notes.push(`detach-netns: ${detachNetns ? "on" : "off"} (auto: ${rkName(facts)}${detachNetns ? " has" : " has no"} --detach-netns)`);
  } else if (detachSetting === "true") {
    detachNetns = true;
    if (!facts.detachNetns) {
      say("detachNetns", "true", `${name("detachNetns")}=true needs RootlessKit >= 2.0 (--detach-netns), but the installed version is ${facts.version ?? "unknown"} (its --help has no --detach-netns); upgrade RootlessKit or use auto or false`);
    }
  } else detachNetns = false;

  const sandbox = input.slirp4netnsSandbox ?? "auto";
  if (sandbox === "true" && detachNetns) {
    say("slirp4netnsSandbox", "true", `${name("slirp4netnsSandbox")}=true conflicts with detach-netns; set ${name("slirp4netnsSandbox")} to auto or false, or ${name("detachNetns")} to false`);
  }

  let sudoFix: string[] | undefined;
  const confined = net === "pasta" && !problems.length ? pastaApparmorProblem(facts.pastaApparmor, detachNetns) : null;
  if (confined) {
    const refusal = pastaApparmorError(confined);
    say("net", net, `${name("net")}=pasta: ${confined}`);
    fix = refusal.fix;
    sudoFix = refusal.sudoFix;
  }

  if (problems.length) throw new SettingsError(problems, fix, sudoFix);
  return {
    stateDir: input.stateDir ?? paths.rootlesskitStateDir,
    net,
    mtu,
    portDriver,
    slirp4netnsSandbox: sandbox,
    slirp4netnsSeccomp: input.slirp4netnsSeccomp ?? "auto",
    detachNetns,
    ipv6,
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
    ...(s.ipv6 ? ["--ipv6"] : []),
    ...(s.detachNetns ? ["--detach-netns"] : []),
    ...s.flags,
  ];
}

/** The whole command: `rootlesskit <flags> <child...>`. */
export function rootlesskitArgv(rootlesskit: string, s: ResolvedSettings, child: string[]): string[] {
  return [rootlesskit, ...rootlesskitFlags(s), ...child];
}
