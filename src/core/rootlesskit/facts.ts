// What the installed RootlessKit and its network helpers can do: ONE capability model, read
// from `rootlesskit --help` (the drivers it lists, the flags it has). The version is only a
// label for messages: drivers can be compiled out, so no decision is made from the number.
// check, the launcher, configure and the add-ons all ask probeRootlessKitFacts.
import type { Host } from "../os/host.ts";
import { parseVersion } from "../os/version.ts";
import { findProgram } from "../os/programs.ts";
import type { NetDriver } from "./settings.ts";
import { probePastaApparmor, type PastaApparmor } from "./pasta-apparmor.ts";

/** What `rootlesskit --help` says the program can do. */
export interface RootlessKitHelp {
  /** the VERSION: section of the help, "1.1.0" (a label only) */
  version: string | null;
  /** network drivers listed for --net ("host" and "none" included) */
  netDrivers: string[];
  /** port drivers listed for --port-driver */
  portDrivers: string[];
  /** --detach-netns exists (RootlessKit >= 2.0) */
  detachNetns: boolean;
  /** --source-ip-transparent exists: the builtin port driver keeps the client's source IP (RootlessKit >= 3.0) */
  sourceIpTransparent: boolean;
  /** --ipv6 exists */
  ipv6: boolean;
  /** the network drivers --ipv6 works with ("Only supported for pasta and slirp4netns") */
  ipv6Drivers: string[];
}

export interface RootlessKitFacts extends Omit<RootlessKitHelp, "sourceIpTransparent" | "ipv6" | "ipv6Drivers"> {
  /** absolute path of rootlesskit, or null when it is not installed */
  rootlesskit: string | null;
  sourceIpTransparent?: boolean;
  ipv6?: boolean;
  ipv6Drivers?: string[];
  /** slirp4netns is installed and >= 0.4.0 (its --help mentions --netns-type, as nerdctl's script tests) */
  slirp4netnsUsable: boolean;
  /** network drivers whose helper program is present (gvisor-tap-vsock is built in) */
  driverInstalled: Record<NetDriver, boolean>;
  /** the `pesto` program (passt >= 2026_05_07) that the pesto port driver runs */
  pestoInstalled?: boolean;
  /** AppArmor's profile for pasta and what it allows of what RootlessKit needs (null: pasta is not confined) */
  pastaApparmor?: PastaApparmor | null;
}

/** The program each network driver runs; gvisor-tap-vsock is built into RootlessKit. */
export const DRIVER_PROGRAM: Record<NetDriver, string | null> = {
  slirp4netns: "slirp4netns",
  vpnkit: "vpnkit",
  "lxc-user-nic": "lxc-user-nic",
  pasta: "pasta",
  "gvisor-tap-vsock": null,
};

const LXC_USER_NIC_PATHS = [
  "/usr/libexec/lxc/lxc-user-nic",
  "/usr/lib/x86_64-linux-gnu/lxc/lxc-user-nic",
  "/usr/lib/aarch64-linux-gnu/lxc/lxc-user-nic",
  "/usr/lib/lxc/lxc-user-nic",
];

/** The help line of an option, e.g. `    --net value   network driver [host, slirp4netns] (default: "host")`. */
function optionLine(help: string, option: string): string | undefined {
  return help.split("\n").find((l) => new RegExp(`^\\s*${option}(?![\\w-])`).test(l));
}

/** The bracketed choices of an option in `rootlesskit --help`; "(experimental)" and "(for pasta)" dropped. */
export function helpChoices(help: string, option: string): string[] | null {
  const m = optionLine(help, option) && /\[([^\]]+)\]/.exec(optionLine(help, option)!);
  if (!m) return null;
  return m[1]!
    .split(",")
    .map((s) => s.replace(/\(.*?\)/g, "").trim())
    .filter(Boolean);
}

/** Drivers every RootlessKit since 0.10 has, for a help text that lists none (not seen in practice). */
const FALLBACK_NET = ["host", "slirp4netns", "vpnkit", "lxc-user-nic"];
const FALLBACK_PORT = ["none", "builtin", "slirp4netns"];

export function parseRootlessKitHelp(help: string): RootlessKitHelp {
  const ipv6Line = optionLine(help, "--ipv6");
  const only = ipv6Line && /Only supported for ([^.]+)\./.exec(ipv6Line);
  return {
    version: /^VERSION:\s*\n\s*(\S+)/m.exec(help) ? parseVersion(/^VERSION:\s*\n\s*(\S+)/m.exec(help)![1]!) : null,
    netDrivers: helpChoices(help, "--net") ?? FALLBACK_NET,
    portDrivers: helpChoices(help, "--port-driver") ?? FALLBACK_PORT,
    detachNetns: optionLine(help, "--detach-netns") !== undefined,
    sourceIpTransparent: optionLine(help, "--source-ip-transparent") !== undefined,
    ipv6: ipv6Line !== undefined,
    ipv6Drivers: only ? only[1]!.split(/,\s*|\s+and\s+/).map((s) => s.trim()).filter(Boolean) : ipv6Line ? ["slirp4netns"] : [],
  };
}

/** Only what `rootlesskit --help` says (one process; no helper look-ups), for gates such as detach-netns's. */
export async function probeRootlessKitHelp(host: Host): Promise<RootlessKitHelp & { rootlesskit: string | null }> {
  const rootlesskit = await findProgram(host, "rootlesskit");
  let help = "";
  let versionText = "";
  if (rootlesskit) {
    const h = await host.run([rootlesskit, "--help"], { timeoutMs: 10_000 });
    help = h.stdout + h.stderr;
    // the help's VERSION: section is the label; ask --version only when it has none
    if (!/^VERSION:/m.test(help)) {
      const v = await host.run([rootlesskit, "--version"], { timeoutMs: 10_000 });
      versionText = v.code === 0 ? v.stdout : "";
    }
  }
  const parsed = parseRootlessKitHelp(help);
  return { ...parsed, rootlesskit, version: parsed.version ?? parseVersion(versionText) };
}

/** `help`: the --help probe already under way (check shares one for RootlessKit's version too). */
export async function probeRootlessKitFacts(host: Host, help?: ReturnType<typeof probeRootlessKitHelp>): Promise<RootlessKitFacts> {
  const installed = async (driver: NetDriver, program: string): Promise<boolean> => {
    if ((await findProgram(host, program)) !== null) return true;
    if (driver !== "lxc-user-nic") return false;
    for (const p of LXC_USER_NIC_PATHS) if (await host.exists(p)) return true;
    return false;
  };
  const slirpUsable = async (): Promise<boolean> => {
    const slirp = await findProgram(host, "slirp4netns");
    if (!slirp) return false;
    const r = await host.run([slirp, "--help"], { timeoutMs: 10_000 });
    return /(^|\s)--netns-type\b/.test(r.stdout + r.stderr);
  };
  const drivers = Object.entries(DRIVER_PROGRAM) as [NetDriver, string | null][];
  const [parsed, found, slirp4netnsUsable, pesto, pastaApparmor] = await Promise.all([
    help ?? probeRootlessKitHelp(host),
    Promise.all(drivers.map(([d, program]) => (program === null ? true : installed(d, program)))),
    slirpUsable(),
    findProgram(host, "pesto"),
    probePastaApparmor(host),
  ]);
  const driverInstalled = Object.fromEntries(drivers.map(([d], i) => [d, found[i]!])) as Record<NetDriver, boolean>;
  return { ...parsed, slirp4netnsUsable, driverInstalled, pestoInstalled: pesto !== null, pastaApparmor };
}
