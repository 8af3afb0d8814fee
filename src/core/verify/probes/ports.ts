// 3. Ports are published: the agent listens in the container, RootlessKit's port driver
// forwards a host port to it (RootlessKit's API, what `rootlessctl add-ports
// 127.0.0.1:HOST:CHILD/tcp` and nerdctl's `-p 127.0.0.1:HOST:CHILD` ask), and a connection from
// the host reaches it. A second
// forward on the host's own address says whether the client's source address is preserved: the
// container sees that address (slirp4netns; builtin since RootlessKit 3.0 with
// --source-ip-transparent; implicit) or 127.0.0.1 (builtin before 3.0: RootlessKit docs/port.md).
// With pasta's implicit driver ports need no API: pasta forwards the same port by itself.
// 6b. Ports below 1024: the same forward from a host port below 1024, which the port driver
// binds on the host, so net.ipv4.ip_unprivileged_port_start (or cap_net_bind_service on
// rootlesskit) decides (check's unprivileged.ports finding predicts it, with the fix).
import { fail, notApplicable, offBySetting, pass, type Verdict } from "../outcome.ts";
import type { Session } from "../session.ts";
import { pollUntil } from "../../os/wait.ts";
import { addPort, removePort, specText, type PortSpec } from "../../rootlesskit/api.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";

const API_DRIVERS = ["builtin", "slirp4netns", "gvisor-tap-vsock"];

/** The agent's listening port once it listens (null: no container, or it could not listen). */
async function childPort(s: Session): Promise<{ port: number } | { why: string }> {
  const main = await s.main;
  const port = await main?.listening;
  return port ? { port } : { why: `no container listening: ${(await whyNoReport(s, main ?? null)).split("\n")[0]}` };
}

/** Publishes `specs` through RootlessKit's API, runs `use` (with the first error, if any), and removes them again (recorded meanwhile). */
async function withPorts<T>(s: Session, specs: PortSpec[], use: (error: string | null) => Promise<T>): Promise<T> {
  const texts = specs.map(specText);
  await s.notePorts(texts, true);
  const added = await Promise.all(specs.map((spec) => addPort(s.host, s.facts.stateDir, spec)));
  try {
    const failed = added.map((a, i) => ("error" in a ? `${texts[i]}: ${a.error}` : null)).find(Boolean);
    return await use(failed ?? null);
  } finally {
    await Promise.all(added.map((a) => ("id" in a ? removePort(s.host, s.facts.stateDir, a.id) : null)));
    await s.notePorts(texts, false);
  }
}

const tcp = (parentIP: string, parentPort: number, childPort: number): PortSpec => ({ proto: "tcp", parentIP, parentPort, childPort });

/** Connects from the host until the agent answers (the forward may need a moment: pasta scans for listeners every second). */
async function reach(s: Session, address: string, port: number, timeoutMs: number): Promise<{ ok: boolean; peer?: string; detail: string; ms: number }> {
  let last = { ok: false, text: "not tried", ms: 0 };
  const start = s.host.now();
  const outcome = await pollUntil(s.host, async () => (last = await s.host.exchangeTcp(address, port, "crs-verify", 1000)).ok, { timeoutMs, everyMs: 20 });
  const peer = /^peer (\S+)$/.exec(last.text)?.[1];
  return outcome.ok && peer ? { ok: true, peer, detail: `answered in ${(s.host.now() - start).toFixed(0)} ms`, ms: s.host.now() - start } : { ok: false, detail: last.text, ms: s.host.now() - start };
}

async function freePort(s: Session, address: string): Promise<number> {
  const l = await s.host.listenTcp(address, 0, () => {});
  l.close();
  return l.port;
}

const preserved = (driver: string) => (driver === "builtin" ? "RootlessKit's builtin driver before 3.0; 3.0 keeps it for TCP" : `the ${driver} driver`);

export const portsProbe: Probe = {
  id: "ports",
  title: "Ports are published",
  async run(s) {
    const driver = s.facts.portDriver;
    if (!driver || driver === "none") return offBySetting("RootlessKit runs without a port driver (--port-driver=none): `nerdctl run -p` cannot publish ports", [], "containerd-rootless-systemd configure --port-driver builtin --yes");
    const child = await childPort(s);
    if ("why" in child) return fail(child.why);
    if (driver === "implicit") {
      const r = await reach(s, "127.0.0.1", child.port, 3000);
      return r.ok ? pass(`pasta forwarded 127.0.0.1:${child.port} to the container (${r.detail}); it saw the client as ${r.peer}`) : fail(`pasta did not forward 127.0.0.1:${child.port} to the listening container: ${r.detail}`, [], "`systemctl --user restart containerd.service`; see `systemctl --user status containerd.service` for pasta's errors.");
    }
    if (!API_DRIVERS.includes(driver)) return notApplicable(`the ${driver} port driver is not tested by verify`);
    const local = tcp("127.0.0.1", await freePort(s, "127.0.0.1"), child.port);
    const hostAddr = s.facts.hostAddress;
    const remote = hostAddr ? tcp(hostAddr, await freePort(s, hostAddr), child.port) : null;
    return withPorts(s, [local, ...(remote ? [remote] : [])], async (error): Promise<Verdict> => {
      if (error) return fail(`RootlessKit did not publish ${error}`, [error], "`systemctl --user restart containerd.service`; `containerd-rootless-systemd status` shows the port driver in use.");
      const port = local.parentPort;
      const r = await reach(s, "127.0.0.1", port, 3000);
      const evidence = [`127.0.0.1:${port} -> container port ${child.port} (${driver}): ${r.ok ? `${r.detail}, the container saw ${r.peer}` : r.detail}`];
      if (!r.ok) return fail(`a connection to 127.0.0.1:${port} did not reach the container through the ${driver} port driver: ${r.detail}`, evidence, "`systemctl --user restart containerd.service` restarts RootlessKit and its port driver (running containers stop).");
      if (!remote || !hostAddr) return pass(`127.0.0.1:${port} reaches the container through the ${driver} port driver (${r.detail}); the source address was not measured (the host has no address other than loopback)`, evidence);
      const rport = remote.parentPort;
      const from = await reach(s, hostAddr, rport, 3000);
      evidence.push(`${hostAddr}:${rport} -> container port ${child.port}: ${from.ok ? `the container saw ${from.peer}` : from.detail}`);
      const kept = from.ok && from.peer === hostAddr;
      const source = from.ok ? (kept ? `the client's address ${hostAddr} is preserved (${driver} port driver)` : `the client's address is not preserved: a connection from ${hostAddr} arrives as ${from.peer} (${preserved(driver)})`) : `the source address could not be measured (${from.detail})`;
      return pass(`127.0.0.1:${port} reaches the container through the ${driver} port driver (${r.detail}); ${source}`, evidence);
    });
  },
};

export const lowPortsProbe: Probe = {
  id: "low-ports",
  title: "Ports below 1024",
  async run(s) {
    const driver = s.facts.portDriver;
    if (!driver || !API_DRIVERS.includes(driver)) return notApplicable(`not tested with the ${driver ?? "unknown"} port driver`);
    const prediction = (await s.findings("unprivileged")).find((f) => f.id === "unprivileged.ports");
    const child = await childPort(s);
    if ("why" in child) return fail(child.why);
    const low = 600 + (s.host.pid % 400);
    return withPorts(s, [tcp("127.0.0.1", low, child.port)], async (error): Promise<Verdict> => {
      const r = error ? { ok: false, detail: error } : await reach(s, "127.0.0.1", low, 3000);
      if (r.ok) return pass(`127.0.0.1:${low} reaches the container (${r.detail})`);
      const why = error ? `RootlessKit did not publish ${error}` : `127.0.0.1:${low} did not reach the container: ${r.detail}`;
      // RootlessKit's error starts with what happened ("cannot expose privileged port 845, you can add ...")
      if (prediction && prediction.level !== "ok") return offBySetting(`${prediction.message} Seen: ${why.split(",")[0]}.`, [why], prediction.fix, prediction.sudoFix);
      return fail(why, [why], "`containerd-rootless-systemd check` looks at net.ipv4.ip_unprivileged_port_start and rootlesskit's capabilities.");
    });
  },
};
