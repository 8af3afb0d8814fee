// The add-on contract and the registry. An add-on is one file under src/plugins/ that
// describes itself completely and calls registerPlugin() when imported; index.ts imports
// them all. (Never mark this package "sideEffects": false: bundlers would drop the files.)
import type { Host } from "../core/os/host.ts";
import type { Paths } from "../core/os/paths.ts";
import type { Finding } from "../core/checks/findings.ts";
import type { Step } from "../core/plan/steps.ts";
import type { AddonProbe } from "../core/containerd/addon-ready.ts";

export interface PluginContext {
  host: Host;
  paths: Paths;
  /** the other add-ons changed in the same run (their plans are composed with this one) */
  batch?: {
    installing: string[];
    removing: string[];
    /**
     * Which snapshotter add-on this run makes nerdctl's default: an id, or null for none (the run
     * sets the default itself, or leaves it alone). Absent: the last snapshotter add-on installed.
     */
    snapshotterDefault?: string | null;
  };
}

/** What installing or removing an add-on does: the steps, and what to tell the user. */
export interface PluginPlan {
  steps: Step[];
  /** said after a successful apply ([INFO]): hints such as flags to use */
  notes: string[];
  /** said before applying ([WARNING]): caveats found while planning */
  warnings: string[];
  /** the plan restarts containerd (the user is told before it happens) */
  restartsContainerd?: boolean;
  /** directories removed after a successful apply when they are left empty (deepest first) */
  emptyDirs?: string[];
}

/** A program the add-on needs, and where a user gets it. */
export interface Requirement {
  binary: string;
  project: string;
  url: string;
  /** the distribution package, where one exists */
  debianPackage?: string;
  /** the oldest version that will do (e.g. RootlessKit 2.0 for --detach-netns) */
  minVersion?: string;
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
  /** not available for a reason other than missing programs (e.g. no /dev/fuse): a bundle that brings them does not help */
  beyondPrograms?: boolean;
}

export interface PluginStatus {
  installed: boolean;
  enabled?: boolean;
  active?: boolean;
  detail?: string;
}

/** A unit of an add-on and the request it must answer to count as working. */
export interface UnitProbe {
  unit: string;
  probe: AddonProbe;
}

export interface Plugin {
  id: string;
  title: string;
  summary: string;
  /** the systemd user unit it owns, if any */
  unit?: string;
  /** the seed's verb pair, e.g. "buildkit" for install-buildkit / uninstall-buildkit */
  seedVerb?: string;
  /** where its daemon runs: inside the RootlessKit namespace (needs containerd), on the host, or no daemon */
  runs: "namespace" | "host" | "none";
  requires: Requirement[];
  /** a snapshotter add-on: containerd knows it by its id, and it can be nerdctl's default */
  snapshotter?: boolean;
  options?: PluginOption[];
  availability(ctx: PluginContext): Promise<Availability>;
  checks(ctx: PluginContext): Promise<Finding[]>;
  /** throws UserError (naming what is missing and how to get it) when it cannot be installed */
  installPlan(ctx: PluginContext, options: Record<string, string>): Promise<PluginPlan>;
  uninstallPlan(ctx: PluginContext): Promise<PluginPlan>;
  status(ctx: PluginContext): Promise<PluginStatus>;
  /** its installed units and the probe that tells each answers (the one install waits for and status asks): a components switch waits on them */
  probes?(ctx: PluginContext): Promise<UnitProbe[]>;
  /** the options the installed add-on runs with (read back for `status --export`); none when absent */
  currentOptions?(ctx: PluginContext): Promise<Record<string, string>>;
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
  // ids are ASCII names: compared as such (localeCompare would load ICU's collation, 2 MB, on every command)
  return [...registry.values()].sort((a, b) => rank(a.id) - rank(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Listing order (unknown ids after these, by name): networking first, then snapshotters, then BuildKit. */
const ORDER = ["detach-netns", "bypass4netns", "fuse-overlayfs", "stargz", "buildkit"];
const rank = (id: string) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);

/** The snapshotter add-ons, in registry order. */
export function snapshotterIds(): string[] {
  return plugins().filter((p) => p.snapshotter).map((p) => p.id);
}

export function getPlugin(id: string): Plugin | undefined {
  return registry.get(id);
}
