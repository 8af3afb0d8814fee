// Switching the active bundle under a running service: point `current` at the new version,
// restart containerd (its PartOf add-ons follow) and the other add-on units that were
// running, and wait until containerd answers a request and each add-on answers its own probe
// (containerd/addon-ready.ts: the same request install waits for and status asks; an add-on
// without one counts once its unit is active). When they do not, point `current` back, restart again and wait for the old version to answer: the
// old version's files stay in place until the new one has answered.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { pollUntil } from "../os/wait.ts";
import { containerdReadyStep } from "../containerd/ready.ts";
import type { AddonProbe } from "../containerd/addon-ready.ts";
import { isActive, isOwned, startFailure, systemctl, unitStates } from "../systemd/units.ts";
import { activate, componentsDir } from "./store.ts";

/** Our unit files that put the bundle on their PATH: the units the bundle serves. */
export async function unitsUsingBundle(host: Host, paths: Paths): Promise<string[]> {
  const out: string[] = [];
  for (const name of ((await host.readdir(paths.unitDir)) ?? []).filter((n) => n.endsWith(".service")).sort()) {
    const text = await host.readText(join(paths.unitDir, name)).catch(() => null);
    if (isOwned(text) && text!.includes(componentsDir(paths) + "/")) out.push(name);
  }
  return out;
}

/** unit -> the request it must answer */
export type UnitProbes = ReadonlyMap<string, AddonProbe>;

/** Waits until an add-on's unit answers its probe (or, without one, is active); stops early when the unit fails. */
async function waitForAddon(host: Host, unit: string, probe: AddonProbe | undefined, timeoutMs: number): Promise<string | undefined> {
  let last = "not asked yet";
  const ready = probe
    ? async () => {
        const r = await probe.check(host);
        last = r.detail;
        return r.ok;
      }
    : async () => isActive((await unitStates(host, [unit]))[0]!);
  const w = await pollUntil(host, ready, { timeoutMs, everyMs: 100, failed: async () => startFailure((await unitStates(host, [unit]))[0]!) });
  if (w.ok) return undefined;
  return probe ? `${unit} did not come back: ${probe.what} does not answer (${w.reason}; last answer: ${last})` : `${unit} did not come back: ${w.reason}`;
}

/** Restarts the running units among `units` (containerd first) and waits until they answer; the failure reason, or undefined. */
async function restartAndWait(host: Host, paths: Paths, running: string[], probes: UnitProbes, log: (m: string) => void, timeoutMs: number): Promise<string | undefined> {
  if (!running.length) return undefined;
  const ordered = [...running].sort((a, b) => (a === CONTAINERD_UNIT ? -1 : b === CONTAINERD_UNIT ? 1 : a.localeCompare(b)));
  for (const unit of ordered) {
    log(`Restarting ${unit}`);
    const r = await systemctl(host, ["restart", unit]);
    if (r.code !== 0) return `systemctl --user restart ${unit} failed: ${(r.stderr || r.stdout).trim()}`;
    if (unit === CONTAINERD_UNIT) {
      const step = containerdReadyStep(paths, timeoutMs);
      const w = await pollUntil(host, () => step.ready(host), { timeoutMs, everyMs: 50, failed: () => step.failed!(host) });
      if (!w.ok) return `containerd did not answer: ${w.reason}`;
    }
  }
  for (const unit of ordered.filter((u) => u !== CONTAINERD_UNIT)) {
    const failure = await waitForAddon(host, unit, probes.get(unit), timeoutMs);
    if (failure) return failure;
  }
  return undefined;
}

export interface SwitchResult {
  restarted: string[];
}

/** The new version did not answer and `current` was switched back; `answers`: the old version answers again (the machine is as before). */
export class SwitchedBackError extends UserError {
  constructor(message: string, fix: string, readonly answers: boolean) {
    super(message, fix);
    this.name = "SwitchedBackError";
  }
}

/**
 * Makes `to` active and restarts what runs from the bundle; on failure makes `from` active
 * again, restarts, waits, and throws the reason (exit 1): a SwitchedBackError once it switched back.
 */
export async function switchBundle(host: Host, paths: Paths, from: string | null, to: string, log: (m: string) => void, opts: { probes?: UnitProbes; timeoutMs?: number } = {}): Promise<SwitchResult> {
  const probes = opts.probes ?? new Map();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const units = await unitsUsingBundle(host, paths);
  const states = units.length ? await unitStates(host, units) : [];
  const running = states.filter(isActive).map((s) => s.name);
  await activate(host, paths, to);
  const failure = await restartAndWait(host, paths, running, probes, log, timeoutMs);
  if (!failure) return { restarted: running };
  if (!from) throw new UserError(`version ${to} is active but ${failure}`, "See `journalctl --user -u containerd.service`.");
  log(`Rolling back to ${from}: ${failure}`);
  await activate(host, paths, from);
  const back = await restartAndWait(host, paths, running, probes, log, timeoutMs);
  throw new SwitchedBackError(
    `upgrade to ${to} failed: ${failure}; rolled back to ${from}${back ? `, but that did not answer either: ${back}` : ", which answers again"}`,
    `See \`journalctl --user -u containerd.service\` for why ${to} failed; ${from} stays active.`,
    !back,
  );
}
