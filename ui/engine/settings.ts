// The RootlessKit settings as form fields: the settings model's own list, defaults resolved
// for this machine, each value checked by the model (syntax) and by resolveSettings against
// what is installed, exactly as `configure` checks them.
import type { Paths } from "../../src/core/os/paths.ts";
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";
import { resolveSettings } from "../../src/core/rootlesskit/resolve.ts";
import { resolvedText } from "../../src/core/rootlesskit/dropin.ts";
import { parseSettings, SETTINGS, SettingsError, valueProblem, type RawSettings, type SettingKey } from "../../src/core/rootlesskit/settings.ts";
import type { SettingField } from "./types.ts";

const LABELS: Record<SettingKey, string> = {
  stateDir: "State directory",
  net: "Network driver",
  mtu: "MTU",
  portDriver: "Port driver",
  slirp4netnsSandbox: "slirp4netns sandbox",
  slirp4netnsSeccomp: "slirp4netns seccomp",
  detachNetns: "Detach netns",
  ipv6: "IPv6",
  flags: "Extra RootlessKit flags",
  httpProxy: "HTTP proxy (containerd)",
  httpsProxy: "HTTPS proxy (containerd)",
  noProxy: "No proxy for",
};

/** The problem with `key`'s value given all typed values, or undefined. */
export function settingProblem(key: SettingKey, all: Readonly<Record<string, string>>, facts: RootlessKitFacts, paths: Paths): string | undefined {
  const value = all[key] ?? "";
  if (value === "") return undefined;
  const syntax = valueProblem(key, value);
  if (syntax) return syntax;
  const raw: RawSettings = {};
  for (const s of SETTINGS) if (all[s.key] && !valueProblem(s.key, all[s.key]!)) raw[s.key] = all[s.key];
  try {
    resolveSettings(parseSettings(raw), facts, paths);
    return undefined;
  } catch (e) {
    if (!(e instanceof SettingsError)) return (e as Error).message;
    return e.problems.find((p) => p.key === key)?.message;
  }
}

export function settingFields(facts: RootlessKitFacts, paths: Paths, current: RawSettings): SettingField[] {
  let defaults: Partial<Record<SettingKey, string>> = {};
  try {
    const r = resolveSettings({}, facts, paths);
    defaults = Object.fromEntries(SETTINGS.map((s) => [s.key, resolvedText(r, s.key)]));
  } catch {
    /* no RootlessKit or no network driver: the checks say so; show the seed's defaults */
  }
  return SETTINGS.map((s) => ({
    key: s.key,
    label: LABELS[s.key],
    defaultValue: s.key === "detachNetns" ? `auto (${defaults.detachNetns === "true" ? "on" : "off"} here)` : (defaults[s.key] || s.defaultText),
    current: current[s.key],
    choices: s.key === "net" ? s.values!.filter((v) => facts.netDrivers.includes(v)) : s.key === "portDriver" ? s.values!.filter((v) => facts.portDrivers.includes(v)) : s.key === "ipv6" ? ["true", "false"] : s.key === "detachNetns" ? ["auto", "true", "false"] : s.values ? [...s.values] : undefined,
    validate: (_value: string, all: Readonly<Record<string, string>>) => settingProblem(s.key, all, facts, paths),
  }));
}
