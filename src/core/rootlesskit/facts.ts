// What the installed RootlessKit and network helpers can do, read from the machine:
// versions, the drivers `rootlesskit --help` lists, --detach-netns, slirp4netns >= 0.4.0.
// Gathered once through a Host; every decision about settings works on these facts.
import type { Host } from "../os/host.ts";
import { parseVersion, atLeast } from "../os/version.ts";
import type { NetDriver } from "./settings.ts";

export interface RootlessKitFacts {
  /** absolute path of rootlesskit, or null when it is not on PATH */
  rootlesskit: string | null;
  /** "1.1.0", or null when unknown */
  version: string | null;
  /** network drivers the installed RootlessKit offers */
  netDrivers: string[];
  /** port drivers the installed RootlessKit offers */
  portDrivers: string[];
  /** `rootlesskit --help` lists --detach-netns (RootlessKit >= 2.0) */
  detachNetns: boolean;
  /** slirp4netns is installed and >= 0.4.0 (its --help mentions --netns-type) */
  slirp4netnsUsable: boolean;
  /** network drivers whose helper program is present */
  driverInstalled: Record<NetDriver, boolean>;
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

/** The bracketed choices of an option in `rootlesskit --help`, e.g. `--net value  network driver [host, slirp4netns]`. */
export function helpChoices(help: string, option: string): string[] | null {
  const line = help.split("\n").find((l) => new RegExp(`^\\s*${option}\\b`).test(l));
  const m = line && /\[([^\]]+)\]/.exec(line);
  if (!m) return null;
  return m[1]!
    .split(",")
    .map((s) => s.trim().replace(/\(.*\)$/, "").trim())
    .filter(Boolean);
}

export function netDriversFor(help: string, version: string | null): string[] {
  const listed = helpChoices(help, "--net");
  if (listed) return listed;
  const base = ["host", "slirp4netns", "vpnkit", "lxc-user-nic"];
  return version && atLeast(version, "3.0.0") ? [...base, "pasta", "gvisor-tap-vsock"] : base;
}

export async function probeRootlessKitFacts(host: Host): Promise<RootlessKitFacts> {
  const rootlesskit = await host.which("rootlesskit");
  let version: string | null = null;
  let help = "";
  if (rootlesskit) {
    const [v, h] = await Promise.all([
      host.run([rootlesskit, "--version"], { timeoutMs: 10_000 }),
      host.run([rootlesskit, "--help"], { timeoutMs: 10_000 }),
    ]);
    version = v.code === 0 ? parseVersion(v.stdout) : null;
    help = h.stdout + h.stderr;
  }
  const driverInstalled = {} as Record<NetDriver, boolean>;
  for (const [driver, program] of Object.entries(DRIVER_PROGRAM) as [NetDriver, string | null][]) {
    if (program === null) driverInstalled[driver] = true;
    else if (driver === "lxc-user-nic") {
      let found = (await host.which(program)) !== null;
      for (const p of LXC_USER_NIC_PATHS) found ||= await host.exists(p);
      driverInstalled[driver] = found;
    } else driverInstalled[driver] = (await host.which(program)) !== null;
  }
  let slirp4netnsUsable = false;
  const slirp = await host.which("slirp4netns");
  if (slirp) {
    const r = await host.run([slirp, "--help"], { timeoutMs: 10_000 });
    slirp4netnsUsable = /(^|\s)--netns-type\b/.test(r.stdout + r.stderr);
  }
  return {
    rootlesskit,
    version,
    netDrivers: netDriversFor(help, version),
    portDrivers: helpChoices(help, "--port-driver") ?? ["none", "builtin", "slirp4netns"],
    detachNetns: /(^|\s)--detach-netns\b/.test(help),
    slirp4netnsUsable,
    driverInstalled,
  };
}
