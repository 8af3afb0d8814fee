// 5. Pulls reach a registry on loopback (`verify --registry HOST:PORT`): containerd's client
// pulls a reference that cannot exist there, from inside containerd's namespaces as nerdctl
// does (the pull's HTTP requests are the client's). An answer of any kind from the registry
// (not found, unauthorized) proves it is reached; a refused or timed-out connection proves it
// is not. Without detach-netns the client runs in RootlessKit's network namespace, whose
// 127.0.0.1 is its own (--disable-host-loopback): a registry on the host's loopback is expected
// to fail there, and the fix is detach-netns (RootlessKit >= 2.0) or another address.
import { fail, notApplicable, offBySetting, pass } from "../outcome.ts";
import { ctrArgv } from "../facts.ts";
import { probeRootlessKitHelp } from "../../rootlesskit/facts.ts";
import type { Probe } from "./probe.ts";
import { errorLines } from "./probe.ts";

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
const ANSWERED = /not found|manifest unknown|name unknown|unauthorized|denied|401|404|server gave HTTP response to HTTPS client/i;

/** HOST and PORT of `--registry HOST:PORT` ([::1]:PORT for IPv6), or null when it is not one. */
export function parseRegistry(value: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  return m && port > 0 && port < 65536 ? { host: m[1]!, port } : null;
}

export const registryProbe: Probe = {
  id: "registry",
  title: "Pulls reach a registry on loopback",
  async run(s) {
    const value = s.opts.registry;
    if (!value) return notApplicable("no --registry HOST:PORT given");
    const reg = parseRegistry(value)!;
    const loopback = LOOPBACK.test(reg.host);
    const ref = `${value}/crs-verify/absent:${s.host.pid}`;
    const argv = ctrArgv(s.facts, s.paths, s.namespace, ["images", "pull", ...(loopback ? ["--plain-http"] : []), ref]);
    const r = await s.host.run(argv, { env: s.facts.nsenterEnv, timeoutMs: 15_000 });
    const said = errorLines(`${r.stderr}`, 2) || `exit ${r.code}`;
    const evidence = [`ctr images pull ${loopback ? "--plain-http " : ""}${ref} (inside containerd's namespaces): ${said}`];
    if (r.code === 0 || ANSWERED.test(r.stderr)) return pass(`containerd's client reached the registry at ${value} (it answered for a reference that does not exist there${s.facts.detached ? "; detach-netns gives the client the host's network" : ""})`, evidence);
    if (loopback && !s.facts.detached) {
      const help = await probeRootlessKitHelp(s.host).catch(() => null);
      const fix = help?.detachNetns
        ? "containerd-rootless-systemd configure --detach-netns true --yes   # containerd and its client then use the host's network; containers keep RootlessKit's"
        : `Your RootlessKit (${help?.version ?? s.facts.rootlesskitVersion ?? "unknown version"}) has no --detach-netns (it needs >= 2.0): let the registry listen on another address of this machine${s.facts.hostAddress ? ` (e.g. ${s.facts.hostAddress}:${reg.port})` : ""} and pull from that.`;
      return offBySetting(`${value} is on the host's loopback, which containerd's client cannot reach: it runs in RootlessKit's network namespace, whose loopback is its own (RootlessKit runs with --disable-host-loopback, and detach-netns is off)`, evidence, fix);
    }
    return fail(`containerd's client cannot reach the registry at ${value}: ${said.split("\n").at(-1)}`, evidence, loopback ? "detach-netns is on, so the host's loopback should be reached: is the registry listening there (`ss -ltn`)?" : "Check that the registry is up and reachable from this machine, and the proxy settings (`containerd-rootless-systemd configure --https-proxy ...`).");
  },
};
