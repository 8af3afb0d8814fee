// `configure`: change the RootlessKit settings in containerd.service's override.conf.
// Plan: validate the requested values and the resulting whole against the installed
// RootlessKit before touching anything, and compute the new drop-in text. Apply: write,
// daemon-reload, restart containerd, verify the running RootlessKit uses the new flags and
// that containerd's socket is back; restore the old drop-in when it does not come up.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import { CONTAINERD_UNIT, type Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { InterruptedError } from "../plan/interrupt.ts";
import { unifiedDiff } from "../plan/render.ts";
import { systemctl, unitStates, isActive, startFailure, unitDiagnostics } from "../systemd/units.ts";
import { parseSettings, type RawSettings, type SettingKey } from "./settings.ts";
import { probeRootlessKitFacts, type RootlessKitFacts } from "./facts.ts";
import { resolveSettings, rootlesskitFlags, type ResolvedSettings } from "./resolve.ts";
import { readDropIns, updateDropIn, isEmptyDropIn, overridePath, effectiveSettings, type EffectiveSetting, type DropInFile } from "./dropin.ts";
import { managerEnvironment, serviceEnvironment } from "../systemd/service-environment.ts";

export interface ConfigureRequest {
  set: RawSettings;
  reset: SettingKey[];
}

export interface ConfigurePlan {
  path: string;
  before: string | null;
  /** null: the file is removed (nothing of ours or anyone's left) */
  after: string | null;
  changed: boolean;
  diff: string;
  settings: ResolvedSettings;
  effective: EffectiveSetting[];
}

function rawFromEffective(effective: EffectiveSetting[]): RawSettings {
  const raw: RawSettings = {};
  for (const e of effective) if (e.value !== undefined) raw[e.key] = e.value;
  return raw;
}

/** The settings in effect and where each comes from (for `configure --show`). */
export async function showSettings(host: Host, paths: Paths, facts?: RootlessKitFacts): Promise<{ effective: EffectiveSetting[]; settings?: ResolvedSettings; problem?: string }> {
  const [service, found] = await Promise.all([serviceEnvironment(host, paths), facts ?? probeRootlessKitFacts(host)]);
  const effective = effectiveSettings(service);
  try {
    const settings = resolveSettings(parseSettings(rawFromEffective(effective)), found, paths);
    return { effective: effectiveSettings(service, settings), settings, ...(service.problems.length ? { problem: service.problems.join("\n") } : {}) };
  } catch (e) {
    if (e instanceof UserError) return { effective, problem: [...service.problems, e.message].join("\n") };
    throw e;
  }
}

/** Keys to change that an EnvironmentFile= sets: it overrides override.conf, and is not ours to edit. */
function refuseEnvironmentFileKeys(effective: EffectiveSetting[], keys: SettingKey[], path: string): void {
  const hit = effective.filter((e) => e.source === "environment-file" && keys.includes(e.key));
  if (!hit.length) return;
  const files = [...new Set(hit.map((e) => e.file!))];
  throw new UserError(
    hit.map((e) => `${e.env} is set in ${e.file} (EnvironmentFile= in ${e.via}), which overrides ${path}; this tool does not edit that file`).join("\n"),
    `Change or remove ${hit.map((e) => e.env).join(", ")} in ${files.join(", ")} yourself (or drop the EnvironmentFile= line), then run this again. Nothing was changed.`,
  );
}

/** Validates everything and computes the new override.conf; touches nothing. */
export async function planConfigure(host: Host, paths: Paths, req: ConfigureRequest, facts?: RootlessKitFacts): Promise<ConfigurePlan> {
  parseSettings(req.set, "flag");
  const path = overridePath(paths);
  const before = await host.readText(path);
  const changes: Partial<Record<SettingKey, string | null>> = { ...req.set };
  for (const k of req.reset) changes[k] = null;
  const text = updateDropIn(before ?? "", changes);
  const after = text === (before ?? "") ? before : isEmptyDropIn(text) ? null : text;

  const [dropIns, manager, found] = await Promise.all([readDropIns(host, paths), managerEnvironment(host), facts ?? probeRootlessKitFacts(host)]);
  refuseEnvironmentFileKeys(effectiveSettings(await serviceEnvironment(host, paths, { dropIns, manager })), Object.keys(changes) as SettingKey[], path);
  const others: DropInFile[] = dropIns.filter((d) => d.path !== path);
  const next = after === null ? others : [...others, { path, text: after }].sort((a, b) => a.path.localeCompare(b.path));
  const service = await serviceEnvironment(host, paths, { dropIns: next, manager });
  const effective = effectiveSettings(service);
  const settings = resolveSettings(parseSettings(rawFromEffective(effective), "env"), found, paths, "flag");
  return { path, before, after, changed: before !== after, diff: unifiedDiff(path, before, after), settings, effective: effectiveSettings(service, settings) };
}

async function writeDropIn(host: Host, path: string, text: string | null): Promise<void> {
  if (text === null) await host.remove(path);
  else {
    await host.mkdirp(join(path, ".."), 0o755);
    await host.writeFileAtomic(path, text, 0o644);
  }
}

async function must(host: Host, args: string[]): Promise<void> {
  const r = await systemctl(host, args);
  if (r.code !== 0) throw new UserError(`systemctl --user ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`);
}

const INTERRUPTED = "interrupted";

/** The leading arguments (as many as `flags` has) of the RootlessKit running as `pid`, and whether they are exactly `flags`. */
export async function runningFlags(host: Host, pid: number, flags: string[]): Promise<{ running: string[]; same: boolean }> {
  const running = ((await host.readText(`/proc/${pid}/cmdline`)) ?? "").split("\0").slice(1, 1 + flags.length);
  return { running, same: running.join("\0") === flags.join("\0") };
}

/** Waits until containerd runs under a RootlessKit started with exactly `flags` and its socket exists. */
async function waitForSettings(host: Host, paths: Paths, flags: string[], timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const deadline = host.now() + timeoutMs;
  let last = "containerd did not come up";
  while (host.now() < deadline) {
    if (signal?.aborted) return INTERRUPTED;
    const [state] = await unitStates(host, [CONTAINERD_UNIT]);
    const failure = startFailure(state!);
    if (failure && state!.nRestarts > 0) return failure;
    if (isActive(state!) && state!.mainPid > 0) {
      const { running, same } = await runningFlags(host, state!.mainPid, flags);
      if (!same) last = `RootlessKit runs with ${running.join(" ")}`;
      else if (await host.exists(paths.containerdSocket)) return undefined;
      else last = `${paths.containerdSocket} did not appear`;
    } else if (failure) last = failure;
    await host.sleep(50);
  }
  return last;
}

export interface ConfigureOutcome {
  restarted: boolean;
  rolledBack: boolean;
}

/**
 * Writes the plan, reloads systemd and, when containerd is running, restarts it and checks
 * the new settings took effect. On failure the old drop-in is restored and containerd
 * restarted with it; the error carries `systemctl status`. An aborted `signal` (Ctrl+C) is
 * undone the same way (InterruptedError), also when it cuts the wait short.
 */
export async function applyConfigure(host: Host, paths: Paths, plan: ConfigurePlan, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ConfigureOutcome> {
  const [state] = await unitStates(host, [CONTAINERD_UNIT]);
  const running = isActive(state!);
  await writeDropIn(host, plan.path, plan.after);
  await must(host, ["daemon-reload"]);
  let failure: string | undefined = opts.signal?.aborted ? INTERRUPTED : undefined;
  if (running && !failure) {
    await systemctl(host, ["restart", CONTAINERD_UNIT]);
    failure = await waitForSettings(host, paths, rootlesskitFlags(plan.settings), opts.timeoutMs ?? 30_000, opts.signal);
  }
  if (!failure) return { restarted: running, rolledBack: false };
  const diag = failure === INTERRUPTED ? undefined : await unitDiagnostics(host, CONTAINERD_UNIT);
  await writeDropIn(host, plan.path, plan.before);
  await systemctl(host, ["daemon-reload"]);
  if (running) await systemctl(host, ["restart", CONTAINERD_UNIT]);
  if (!diag) throw new InterruptedError([`restore ${plan.path}`, "systemctl --user daemon-reload", ...(running ? [`systemctl --user restart ${CONTAINERD_UNIT}`] : [])]);
  throw new UserError(
    `containerd did not come up with the new settings (${failure}); the previous ${plan.path} was restored and containerd restarted with it.\n${diag.status}${diag.journal ? `\n${diag.journal}` : ""}`,
    "Check the values with `containerd-rootless-systemd configure --show`.",
  );
}
