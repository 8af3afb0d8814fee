// `configure`: change the RootlessKit settings in containerd.service's override.conf.
// Plan: validate the requested values and the resulting whole against the installed
// RootlessKit before touching anything, and compute the new drop-in text. The change itself
// (write, daemon-reload, restart, verify, roll back) is plan steps: configure-steps.ts.
import { refuseBrokenDropIns } from "../systemd/dropin-syntax.ts";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { unifiedDiff } from "../plan/render.ts";
import { parseSettings, type RawSettings, type SettingKey } from "./settings.ts";
import { probeRootlessKitFacts, type RootlessKitFacts } from "./facts.ts";
import { resolveSettings, type ResolvedSettings } from "./resolve.ts";
import { readDropIns, updateDropIn, isEmptyDropIn, overridePath, effectiveSettings, type EffectiveSetting, type DropInFile } from "./dropin.ts";
import { managerEnvironment, serviceEnvironment } from "../systemd/service-environment.ts";
import { proxyWarnings } from "./proxy.ts";
import { loopbackRegistries, loopbackRegistryFix, loopbackRegistryText } from "../containerd/registries.ts";

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
  /** the installed RootlessKit has --detach-netns */
  detachSupported: boolean;
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
  await refuseBrokenDropIns(host, paths); // editing around a line systemd cannot read would hide it
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
  return { path, before, after, changed: before !== after, diff: unifiedDiff(path, before, after), settings, effective: effectiveSettings(service, settings), detachSupported: found.detachNetns };
}

/**
 * What to know before applying: each loopback proxy containerd will not reach, and, when the
 * request turns detach-netns off, that registries and proxies on this machine's loopback go
 * out of reach (naming the registries set up here).
 */
export async function configureWarnings(host: Host, paths: Paths, plan: ConfigurePlan, req: ConfigureRequest): Promise<string[]> {
  const out = proxyWarnings(plan.effective, plan.settings);
  const touchesDetach = req.set.detachNetns !== undefined || req.reset.includes("detachNetns");
  if (touchesDetach && !plan.settings.detachNetns) out.push(`${loopbackRegistryText(await loopbackRegistries(host, paths))}\n  ${loopbackRegistryFix(plan.detachSupported)}`);
  return out;
}
