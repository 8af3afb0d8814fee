// `configure`'s change as plan steps, run by the plan engine (plan/execute.ts) like install,
// the add-ons and `apply`: write (or remove) override.conf, daemon-reload and, when containerd
// runs, restart it and wait until the running RootlessKit has exactly the planned flags and
// containerd answers again (its Version call, not its socket file). The engine journals each step: a failure or Ctrl+C restores
// the old drop-in, reloads systemd and restarts containerd with the old settings.
import type { Host } from "../os/host.ts";
import { CONTAINERD_UNIT, type Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import type { Step, WaitStep } from "../plan/steps.ts";
import { applyPlan, ApplyError, type ApplyEvent } from "../plan/execute.ts";
import { InterruptedError } from "../plan/interrupt.ts";
import { isActive, startFailure, unitDiagnostics, unitStates } from "../systemd/units.ts";
import { rootlesskitFlags } from "./resolve.ts";
import { isContainerdRestart, restartContainerdStep } from "../containerd/restart.ts";
import { restartedAddonWaits } from "../containerd/addon-waits.ts";
import { containerdVersion } from "../containerd/api.ts";
import type { ConfigurePlan } from "./configure.ts";
import { settingChangesNote } from "./changes.ts";
import { networkWorksStep, NETWORK_WAIT } from "./network-health.ts";

/** The leading arguments (as many as `flags` has) of the RootlessKit running as `pid`, and whether they are exactly `flags`. */
export async function runningFlags(host: Host, pid: number, flags: string[]): Promise<{ running: string[]; same: boolean }> {
  const running = ((await host.readText(`/proc/${pid}/cmdline`)) ?? "").split("\0").slice(1, 1 + flags.length);
  return { running, same: running.join("\0") === flags.join("\0") };
}

/** Writes (or removes) the planned override.conf and reloads systemd; nothing when it is unchanged. */
export function settingsFileSteps(plan: ConfigurePlan): Step[] {
  if (!plan.changed) return [];
  // the label's note names what changes ("MTU 1500"): plan/label.ts
  const note = settingChangesNote(plan.before, plan.after);
  const file: Step =
    plan.after === null
      ? { kind: "remove", path: plan.path, note, why: "no settings left in it" }
      : { kind: "write", path: plan.path, content: plan.after, mode: 0o644, note, why: "RootlessKit reads these settings when containerd starts" };
  return [file, { kind: "systemctl", args: ["daemon-reload"], why: "the service reads its drop-ins on reload" }];
}

/** Restarting containerd for its settings: undone by restarting it again once the old drop-in is back (a late undo). */
export const restartForSettings = (paths: Paths) => restartContainerdStep(paths, "RootlessKit reads its settings when containerd starts");

/** The settings-in-effect wait, and what it saw last (for the message when it times out). */
export type SettingsWait = WaitStep & { lastSeen: () => string };

/**
 * Polls until containerd runs under a RootlessKit started with exactly `flags` and answers its
 * Version call; gives up early when systemd has already restarted a failing containerd.
 */
export function settingsInEffectStep(paths: Paths, flags: string[], timeoutMs = 30_000): SettingsWait {
  let last = "containerd did not come up";
  return {
    kind: "wait",
    what: "RootlessKit with the new settings",
    timeoutMs,
    everyMs: 50,
    ready: async (host) => {
      const [s] = await unitStates(host, [CONTAINERD_UNIT]);
      if (!s || !isActive(s) || s.mainPid <= 0) {
        last = (s && startFailure(s)) ?? last;
        return false;
      }
      const { running, same } = await runningFlags(host, s.mainPid, flags);
      if (!same) {
        last = `RootlessKit runs with ${running.join(" ")}`;
        return false;
      }
      const api = await containerdVersion(host, paths.containerdSocket);
      if (!api.ok) last = `containerd does not answer on ${paths.containerdSocket}: ${api.detail}`;
      return api.ok;
    },
    failed: async (host) => {
      const [s] = await unitStates(host, [CONTAINERD_UNIT]);
      const failure = s && startFailure(s);
      return failure && s.nRestarts > 0 ? failure : undefined;
    },
    lastSeen: () => last,
  };
}

/**
 * The whole of `configure`: the file, and with containerd running, the restart, the check, and
 * `addonWaits` (restartedAddonWaits: the add-ons the restart restarts, each answering again).
 */
export function configureSteps(paths: Paths, plan: ConfigurePlan, running: boolean, timeoutMs?: number, addonWaits: Step[] = []): { steps: Step[]; wait?: SettingsWait } {
  const file = settingsFileSteps(plan);
  if (!file.length || !running) return { steps: file };
  const wait = settingsInEffectStep(paths, rootlesskitFlags(plan.settings), timeoutMs);
  return { steps: [...file, restartForSettings(paths), wait, networkWorksStep(paths), ...addonWaits], wait };
}

export interface ConfigureOutcome {
  restarted: boolean;
  rolledBack: boolean;
}

/**
 * Runs the plan's steps through the plan engine. On failure the engine restores the old
 * drop-in and restarts containerd with it; the error carries `systemctl status`. An aborted
 * `signal` (Ctrl+C) is undone the same way and ends in InterruptedError.
 */
export async function applyConfigure(host: Host, paths: Paths, plan: ConfigurePlan, opts: { timeoutMs?: number; signal?: AbortSignal; onEvent?: (e: ApplyEvent) => void } = {}): Promise<ConfigureOutcome> {
  const [state] = await unitStates(host, [CONTAINERD_UNIT]);
  const running = isActive(state!);
  const addonWaits = running && plan.changed ? await restartedAddonWaits(host, paths) : [];
  const { steps, wait } = configureSteps(paths, plan, running, opts.timeoutMs, addonWaits);
  const aboutContainerd = (step: Step) => step === wait || isContainerdRestart(step) || (step.kind === "wait" && step.what === NETWORK_WAIT);
  try {
    await applyPlan(host, steps, {
      signal: opts.signal,
      onEvent: opts.onEvent,
      beforeRollback: async (f) => {
        if (f.cancelled || !aboutContainerd(f.step)) return undefined;
        const diag = await unitDiagnostics(host, CONTAINERD_UNIT);
        return `${diag.status}${diag.journal ? `\n${diag.journal}` : diag.log ? `\n${diag.log}` : ""}`;
      },
    });
  } catch (e) {
    if (!(e instanceof ApplyError)) throw e;
    if (e.failure.cancelled) throw new InterruptedError(e.rolledBack);
    const { step, reason, output } = e.failure;
    if (aboutContainerd(step)) {
      const why = step === wait && reason.startsWith("timed out") ? `${wait.lastSeen()}; ${reason}` : output ? `${reason}: ${output}` : reason;
      throw new UserError(
        `containerd did not come up with the new settings (${why}); the previous ${plan.path} was restored and containerd restarted with it.\n${e.diagnostics ?? ""}`.trimEnd(),
        "Check the values with `containerd-rootless-systemd configure --show`.",
      );
    }
    throw new UserError([e.message, ...(e.failure.output ? [e.failure.output] : []), e.rolledBack.length ? `Undone: ${e.rolledBack.join("; ")}.` : "Nothing had been changed."].join("\n"), e.fix);
  }
  return { restarted: running && steps.length > 0, rolledBack: false };
}
