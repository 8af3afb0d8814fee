// The plan's waits for add-ons: until an add-on's unit answers its probe (addon-ready.ts), and,
// wherever a plan restarts containerd, one such wait for every add-on that restart takes down
// and up again. The add-ons inside containerd's namespace are PartOf= containerd.service, so
// systemd restarts each running one with it (a try-restart: a stopped one stays stopped), and
// each must answer again before the run says it is done: after a restart a snapshotter's daemon
// needs a moment to listen, and containerd a few seconds more to dial it again.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import type { WaitStep } from "../plan/steps.ts";
import { diagnoseStart } from "../systemd/diagnose.ts";
import { isActive, startFailure, unitStates } from "../systemd/units.ts";
import { plugins } from "../../plugins/registry.ts";
import type { AddonProbe } from "./addon-ready.ts";

export interface ReadinessOptions {
  timeoutMs?: number;
  /** the daemon restarts with containerd (PartOf=): the wait must hold after the plan's containerd restart */
  afterContainerdRestart?: boolean;
}

/**
 * Waits until the add-on answers a real request (the probe), showing progress; stops early when
 * the unit fails. On a timeout the failure carries the probe's last answer and the unit's status.
 */
export function readinessWait(unit: string, probe: AddonProbe, opts: ReadinessOptions = {}): WaitStep {
  let last = "not asked yet";
  return {
    kind: "wait",
    what: `${unit} (${probe.what})`,
    unit,
    timeoutMs: opts.timeoutMs ?? 60_000,
    everyMs: 100,
    why: "a running unit or an open socket is not enough: the add-on must answer a real request",
    ...(opts.afterContainerdRestart ? { afterContainerdRestart: true } : {}),
    ready: async (host) => {
      const r = await probe.check(host);
      last = r.detail;
      return r.ok;
    },
    failed: async (host) => {
      const [s] = await unitStates(host, [unit]).catch(() => []);
      return s ? startFailure(s) : undefined;
    },
    explain: async (host) => `last answer: ${last}\n${await diagnoseStart(host, unit)}`,
  };
}

/** A wait for each running add-on unit that a containerd restart restarts (in its namespace), to go after that restart. */
export async function restartedAddonWaits(host: Host, paths: Paths): Promise<WaitStep[]> {
  const inNamespace = plugins().filter((p) => p.runs === "namespace" && p.probes);
  const units = (await Promise.all(inNamespace.map((p) => p.probes!({ host, paths }).catch(() => [])))).flat();
  if (units.length === 0) return [];
  const states = await unitStates(host, units.map((u) => u.unit)).catch(() => []);
  return units.filter((_, i) => states[i] && isActive(states[i]!)).map((u) => readinessWait(u.unit, u.probe, { afterContainerdRestart: true }));
}
