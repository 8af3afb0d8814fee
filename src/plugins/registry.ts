// The add-on contract and the registry. An add-on is one file under src/plugins/ that
// describes itself completely and calls registerPlugin() when imported; index.ts imports
// them all. (Never mark this package "sideEffects": false: bundlers would drop the files.)
import type { Host } from "../core/host.ts";
import type { Paths } from "../core/paths.ts";
import type { Finding } from "../core/findings.ts";
import type { Step } from "../core/plan.ts";

export interface PluginContext {
  host: Host;
  paths: Paths;
}

/** A program the add-on needs, and where a user gets it. */
export interface Requirement {
  binary: string;
  project: string;
  url: string;
  /** the distribution package, where one exists */
  debianPackage?: string;
}

/** A choice the UI offers (and the CLI accepts as --option=value). */
export interface PluginOption {
  key: string;
  label: string;
  choices?: string[];
  default?: string;
  validate?: (value: string) => string | undefined;
}

export interface Availability {
  available: boolean;
  /** why not, with the fix */
  reason?: string;
}

export interface PluginStatus {
  installed: boolean;
  enabled?: boolean;
  active?: boolean;
  detail?: string;
}

export interface Plugin {
  id: string;
  title: string;
  summary: string;
  /** the systemd user unit it owns, if any */
  unit?: string;
  requires: Requirement[];
  options?: PluginOption[];
  availability(ctx: PluginContext): Promise<Availability>;
  checks(ctx: PluginContext): Promise<Finding[]>;
  installPlan(ctx: PluginContext, options: Record<string, string>): Promise<Step[]>;
  uninstallPlan(ctx: PluginContext): Promise<Step[]>;
  status(ctx: PluginContext): Promise<PluginStatus>;
}

const registry = new Map<string, Plugin>();

export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

export function registerPlugin(plugin: Plugin): void {
  if (registry.has(plugin.id)) throw new Error(`plugin ${plugin.id} registered twice`);
  registry.set(plugin.id, plugin);
}

export function plugins(): Plugin[] {
  return [...registry.values()];
}

export function getPlugin(id: string): Plugin | undefined {
  return registry.get(id);
}
