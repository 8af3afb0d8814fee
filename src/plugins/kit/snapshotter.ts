// The shape both snapshotter add-ons (fuse-overlayfs, stargz) share: a daemon inside the
// namespace serving a socket, registered with containerd as a proxy plugin, nerdctl's default;
// installed = containerd lists its snapshots (after the restart that registers it).
// Shared by src/plugins/fuse-overlayfs.ts and stargz.ts.
import { dirname, join } from "node:path";
import { CONTAINERD_UNIT } from "../../core/os/paths.ts";
import type { Step } from "../../core/plan/steps.ts";
import { daemonInstallSteps, daemonStatus, daemonUninstallSteps, findRequired, requirementsAvailability, requireContainerdActive } from "./daemon-unit.ts";
import { readinessWait } from "../../core/containerd/addon-waits.ts";
import { snapshotsServiceProbe, snapshotterProbe } from "../../core/containerd/addon-ready.ts";
import { registerProxyPlugin, unregisterProxyPlugin } from "../../core/containerd/proxy-plugins.ts";
import { restartContainerdSteps } from "../../core/containerd/restart.ts";
import { isActive, unitStates } from "../../core/systemd/units.ts";
import { UserError } from "../../core/os/errors.ts";
import { snapshotterIds, type Plugin, type PluginContext, type PluginPlan, type Requirement } from "../registry.ts";

export interface SnapshotterSpec {
  id: string;
  title: string;
  summary: string;
  unit: string;
  description: string;
  requires: Requirement[];
  socket: (ctx: PluginContext) => string;
  /** the daemon's argv after its program path */
  args: (ctx: PluginContext) => string[];
  /** files the daemon needs before it starts (created only when missing) */
  extraFiles?: (ctx: PluginContext) => { path: string; content: string }[];
  /** what to say, after how to get the missing programs, about doing without the add-on (default: NATIVE_FALLBACK) */
  withoutIt?: (ctx: PluginContext) => Promise<string>;
  /** what else its daemon needs to start (available means its unit will start): the reason and fix when missing */
  startsWhen?: (ctx: PluginContext) => Promise<{ reason: string; fix: string } | undefined>;
}

export const NATIVE_FALLBACK =
  "If no FUSE snapshotter can be installed and overlayfs does not work here, use containerd's built-in `native` snapshotter (slower, no extra daemon): " +
  '`export CONTAINERD_SNAPSHOTTER=native`, or `snapshotter = "native"` in ~/.config/nerdctl/nerdctl.toml.';

/** What an extra file says when its directory was made for it: uninstall removes that directory too, and only then. */
const madeDirLine = (path: string) => `# ${dirname(path)} was made for this file; it goes with it while empty.\n`;

async function containerdActive(ctx: PluginContext): Promise<boolean> {
  const [s] = await unitStates(ctx.host, [CONTAINERD_UNIT]).catch(() => []);
  return Boolean(s && isActive(s));
}

/**
 * Whether installing `id` makes it nerdctl's default snapshotter. One rule for every caller: what
 * the run says (batch.snapshotterDefault) decides; else the last snapshotter add-on the run
 * installs (in registry order) wins, so two installed together leave exactly one default.
 */
export function becomesDefault(ctx: PluginContext, id: string): boolean {
  const said = ctx.batch?.snapshotterDefault;
  if (said !== undefined) return said === id;
  const installing = (ctx.batch?.installing ?? [id]).filter((x) => snapshotterIds().includes(x));
  return (installing.at(-1) ?? id) === id;
}

/** Another snapshotter add-on that stays installed (it becomes nerdctl's default when this one goes). */
async function remainingSnapshotter(ctx: PluginContext, id: string): Promise<string | undefined> {
  const removing = new Set([id, ...(ctx.batch?.removing ?? [])]);
  for (const other of snapshotterIds()) {
    if (removing.has(other)) continue;
    if (await ctx.host.exists(join(ctx.paths.containerdConfD, `${other}.toml`))) return other;
  }
  return undefined;
}

export function snapshotterPlugin(spec: SnapshotterSpec): Plugin {
  return {
    id: spec.id,
    title: spec.title,
    summary: spec.summary,
    unit: spec.unit,
    seedVerb: spec.id,
    runs: "namespace",
    snapshotter: true,
    requires: spec.requires,
    async availability(ctx) {
      const found = await requirementsAvailability(ctx.host, spec.requires);
      const missing = found.available ? await spec.startsWhen?.(ctx) : undefined;
      return missing ? { available: false, reason: `${missing.reason}. ${missing.fix}`, beyondPrograms: true } : found;
    },
    async checks() {
      return [];
    },
    async installPlan(ctx): Promise<PluginPlan> {
      let bins: Record<string, string>;
      try {
        bins = await findRequired(ctx.host, spec.requires);
      } catch (e) {
        // e.fix names only the programs that are missing
        if (e instanceof UserError) throw new UserError(e.message, `${e.fix}\n${spec.withoutIt ? await spec.withoutIt(ctx) : NATIVE_FALLBACK}`);
        throw e;
      }
      const missing = await spec.startsWhen?.(ctx);
      if (missing) throw new UserError(missing.reason, `${missing.fix} Nothing was changed.`);
      await requireContainerdActive(ctx.host, spec.title);
      const socket = spec.socket(ctx);
      const program = bins[spec.requires[0]!.binary]!;
      const reg = await registerProxyPlugin(ctx.host, ctx.paths, { name: spec.id, address: socket, makeDefault: becomesDefault(ctx, spec.id) });
      const files: Step[] = [];
      for (const f of spec.extraFiles?.(ctx) ?? []) {
        if (await ctx.host.exists(f.path)) continue;
        const made = !(await ctx.host.exists(dirname(f.path)));
        files.push({ kind: "write", path: f.path, content: made ? f.content + madeDirLine(f.path) : f.content, why: "the daemon needs it to exist" });
      }
      // first its own gRPC socket (a daemon that cannot start fails before containerd is restarted),
      // then, after the restart (which restarts it too: PartOf=), a real call through containerd
      const daemon = await daemonInstallSteps(ctx.paths, ctx.host, { name: spec.unit, description: spec.description, argv: [program, ...spec.args(ctx)], inNamespace: true, pathDirs: Object.values(bins).map((b) => dirname(b)) }, snapshotsServiceProbe(socket));
      return {
        steps: [...files, ...daemon.steps, ...reg.steps, ...(await restartContainerdSteps(ctx.host, ctx.paths)), readinessWait(spec.unit, snapshotterProbe(ctx.paths, spec.id, spec.socket(ctx)), { afterContainerdRestart: true })],
        warnings: [...daemon.warnings, ...reg.warnings],
        notes: reg.notes,
        restartsContainerd: true,
      };
    },
    async uninstallPlan(ctx): Promise<PluginPlan> {
      const daemon = await daemonUninstallSteps(ctx.host, ctx.paths, spec.unit);
      const reg = await unregisterProxyPlugin(ctx.host, ctx.paths, spec.id, ctx.batch?.removing ?? [], await remainingSnapshotter(ctx, spec.id));
      const extra: Step[] = [];
      const emptyDirs = [...(reg.emptyDirs ?? [])];
      for (const f of spec.extraFiles?.(ctx) ?? []) {
        const text = await ctx.host.readText(f.path);
        if (text === f.content || text === f.content + madeDirLine(f.path)) extra.push({ kind: "remove", path: f.path });
        // only a directory the install made goes (while empty): one the user had stays
        if (text === f.content + madeDirLine(f.path)) emptyDirs.push(dirname(f.path));
      }
      const changes = daemon.length + extra.length + reg.steps.length > 0;
      const restart = changes && (await containerdActive(ctx)) ? await restartContainerdSteps(ctx.host, ctx.paths) : [];
      return { steps: [...daemon, ...extra, ...reg.steps, ...restart], warnings: reg.warnings, notes: [], restartsContainerd: restart.length > 0, emptyDirs };
    },
    status(ctx) {
      return daemonStatus(ctx.host, ctx.paths, spec.unit, snapshotterProbe(ctx.paths, spec.id, spec.socket(ctx)));
    },
    async probes(ctx) {
      return [{ unit: spec.unit, probe: snapshotterProbe(ctx.paths, spec.id, spec.socket(ctx)) }];
    },
  };
}
