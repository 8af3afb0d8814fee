// `verify`: every probe at once, through the installed containerd, as the user. The shared
// parts start first (the throwaway image, the host's listener, the host's DNS answer); the
// main container starts once the image is in, and stops once every probe that looks through
// it has concluded; then everything created is removed — after a failure or an interrupt
// too (Ctrl+C, SIGTERM: the containers are stopped and the same removal runs; a SIGKILL
// leaves a record the next verify clears, leftovers.ts).
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { isProblem, type ProbeOutcome, type VerifyReport } from "./outcome.ts";
import { stackFacts, type StackFacts } from "./facts.ts";
import { AGENT_DEADLINE_MS, Session, type HostListener } from "./session.ts";
import { removeRecord, removeResources, sweepAbandoned } from "./leftovers.ts";
import type { AgentSpec } from "./agent-spec.ts";
import type { Probe } from "./probes/probe.ts";
import { containerProbe } from "./probes/container.ts";
import { networkProbe } from "./probes/network.ts";
import { dnsProbe } from "./probes/dns.ts";
import { lowPortsProbe, portsProbe } from "./probes/ports.ts";
import { limitsProbe } from "./probes/limits.ts";
import { registryProbe } from "./probes/registry.ts";
import { pingProbe } from "./probes/ping.ts";
import { addonProbes } from "./probes/addons.ts";

/** The fixed probes, in report order; the add-ons' follow. */
export const PROBES: readonly Probe[] = [containerProbe, networkProbe, dnsProbe, portsProbe, limitsProbe, registryProbe, pingProbe, lowPortsProbe];
/** The probes that look through the main container: it stops once they have concluded. */
const MAIN_USERS = new Set(["container", "network", "dns", "ports", "low-ports", "ping"]);
const LISTENING_DRIVERS = ["builtin", "slirp4netns", "gvisor-tap-vsock", "implicit"];

export interface VerifyOptions {
  registry?: string;
  /** keep the throwaway image and the stopped containers for inspection (the next verify removes them) */
  keep?: boolean;
  /** hears each probe as it concludes (the UI's lines) */
  onProbe?: (o: ProbeOutcome) => void;
  /** Ctrl+C / SIGTERM: stop the containers, remove what was created, report what concluded */
  signal?: AbortSignal;
}

/** What the main container's agent is asked to do. */
export function mainSpec(facts: StackFacts, listener: HostListener | null, pingExpected: boolean): AgentSpec {
  return {
    rootfs: true,
    interfaces: true,
    ...(listener ? { tcp: { address: listener.address, port: listener.port, token: listener.token } } : {}),
    dns: { name: facts.hostname },
    // predicted to fail (ping_group_range): a short wait confirms it (a reply through the driver takes a few ms)
    ...(facts.hostAddress ? { ping: { address: facts.hostAddress, timeoutMs: pingExpected ? 2000 : 150 } } : {}),
    ...(facts.portDriver && LISTENING_DRIVERS.includes(facts.portDriver) ? { listen: { port: 0 } } : {}),
    deadlineMs: AGENT_DEADLINE_MS,
  };
}

async function conclude(p: Probe, s: Session, start: number): Promise<ProbeOutcome> {
  const v = await p.run(s).catch((e: Error) => ({ status: "fail" as const, expected: true, message: `the probe failed unexpectedly: ${e?.message ?? String(e)}`, evidence: [] }));
  return { id: p.id, title: p.title, ...v, ms: Math.round(s.host.now() - start) };
}

export async function runVerify(host: Host, paths: Paths, opts: VerifyOptions = {}): Promise<VerifyReport & { cancelled?: boolean }> {
  const start = host.now();
  const facts = await stackFacts(host, paths);
  const at = () => Math.round(host.now() - start);
  const factsAt = at();
  const s = new Session(host, paths, facts, { registry: opts.registry, signal: opts.signal, keep: opts.keep });
  const swept = sweepAbandoned(host, paths, facts).catch((e: Error) => ({ removed: [], problems: [e.message] }));
  const pingExpected = async () => (await s.findings("unprivileged")).find((f) => f.id === "unprivileged.ping")?.level === "ok";
  await s.begin(async (listener) => mainSpec(facts, listener, await pingExpected()));
  const stopAll = () => s.containers.forEach((c) => c.stop());
  opts.signal?.addEventListener("abort", stopAll);
  try {
    const probes = [...PROBES, ...(await addonProbes(s))];
    const outcomes = probes.map((p) => conclude(p, s, start).then((o) => (opts.onProbe?.(o), o)));
    void Promise.all(outcomes.filter((_, i) => MAIN_USERS.has(probes[i]!.id))).then(async () => (await s.main)?.stop());
    const image = s.imported.then((r) => (r.ok ? at() : null));
    const container = s.main.then((m) => m?.partAfterMs("rootfs") ?? null).then((ms) => (ms === null ? null : at()));
    const results = await Promise.all(outcomes);
    const probesAt = at();
    const cleanup = await finish(s, opts, await swept);
    const phases = { facts: factsAt, image: await image, container: await container, probes: probesAt, cleanup: at() };
    return { command: "verify", ok: !results.some(isProblem), probes: results, phases, cleanup, ms: at(), ...(opts.signal?.aborted ? { cancelled: true } : {}) };
  } catch (e) {
    await finish(s, opts, await swept);
    throw e;
  } finally {
    opts.signal?.removeEventListener("abort", stopAll);
  }
}

/** Stops what still runs, removes what this run created (unless --keep), and its record. */
async function finish(s: Session, opts: VerifyOptions, swept: { removed: string[]; problems: string[] }): Promise<VerifyReport["cleanup"]> {
  for (const c of s.containers) c.stop();
  await Promise.all(s.containers.map((c) => c.exited));
  (await s.listener)?.close();
  await s.imported.catch(() => undefined);
  const cleanup = { removed: [...swept.removed], kept: [] as string[], problems: [...swept.problems] };
  if (opts.keep) {
    cleanup.kept.push(`containerd namespace ${s.namespace} (image ${s.image}, containers ${s.record.containers.join(", ")}): \`containerd-rootless-systemd nsenter -- ctr -n ${s.namespace} containers ls\`; the next verify removes it`);
    return cleanup;
  }
  // `ctr run --rm` removes its container however the task ended, unless ctr itself was killed (137: its deadline)
  const left = opts.signal?.aborted || (await Promise.all(s.containers.map((c) => c.exited))).some((r) => r.code === 137);
  let r = await removeResources(s.host, s.paths, s.facts, { ...s.record, ports: [] }, left);
  // a container whose creation was in flight when its ctr was stopped (an interrupt) appears in containerd only
  // after the listing; the namespace then is not empty yet: once more, now that it is listed
  if (r.problems.length && left) r = await removeResources(s.host, s.paths, s.facts, { ...s.record, ports: [] }, true);
  cleanup.removed.push(...r.removed);
  cleanup.problems.push(...r.problems);
  if (r.problems.length === 0) await removeRecord(s.host, s.paths, s.host.pid);
  return cleanup;
}
