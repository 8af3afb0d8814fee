// detach-netns: RootlessKit >= 2.0 keeps containerd in the host's network namespace and the
// containers' in $STATE_DIR/netns (faster pull/push/build, `nerdctl run --net=host`). It is a
// setting of containerd.service (CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS in its drop-in),
// applied by restarting containerd; nsenter and BuildKit follow the mode.
import { join } from "node:path";
import { registerPlugin, type PluginContext, type PluginPlan } from "./registry.ts";
import { CONTAINERD_UNIT } from "../core/os/paths.ts";
import { UserError } from "../core/os/errors.ts";
import { probeRootlessKitHelp } from "../core/rootlesskit/facts.ts";
import { overridePath, updateDropIn, isEmptyDropIn } from "../core/rootlesskit/dropin.ts";
import { settingChangesNote } from "../core/rootlesskit/changes.ts";
import { serviceEnvironment } from "../core/systemd/service-environment.ts";
import { restartContainerdSteps } from "../core/containerd/restart.ts";
import { serviceStateDir } from "../core/containerd/ready.ts";
import { isActive, unitStates } from "../core/systemd/units.ts";
import { buildkitCaveat } from "./kit/buildkit-facts.ts";
import { loopbackRegistries, loopbackRegistryFix, loopbackRegistryText } from "../core/containerd/registries.ts";
import type { Step } from "../core/plan/steps.ts";

const ENV = "CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS";

/** From the one capability model: `rootlesskit --help` lists --detach-netns, the version is only a label. */
function gateReason(rk: Awaited<ReturnType<typeof probeRootlessKitHelp>>): string | undefined {
  if (!rk.rootlesskit) return `needs RootlessKit >= 2.0; rootlesskit is not installed`;
  if (!rk.detachNetns) return `needs RootlessKit >= 2.0; found ${rk.version ?? "one without --detach-netns"} (${rk.rootlesskit})`;
  return undefined;
}

async function settingPlan(ctx: PluginContext, value: string): Promise<Step[]> {
  const path = overridePath(ctx.paths);
  const before = (await ctx.host.readText(path)) ?? "";
  const next = updateDropIn(before, { detachNetns: value });
  if (next === before) return [];
  const steps: Step[] = [isEmptyDropIn(next) ? { kind: "remove", path, note: `detach-netns ${value}` } : { kind: "write", path, content: next, note: settingChangesNote(before, next), why: `${ENV}=${value}` }, { kind: "systemctl", args: ["daemon-reload"], why: "so systemd reads the changed drop-in" }];
  const [s] = await unitStates(ctx.host, [CONTAINERD_UNIT]).catch(() => []);
  if (s && isActive(s)) steps.push(...(await restartContainerdSteps(ctx.host, ctx.paths)));
  return steps;
}

registerPlugin({
  id: "detach-netns",
  title: "detach-netns networking",
  summary: "containerd stays in the host network namespace: faster pull/push/build, `nerdctl run --net=host` (RootlessKit >= 2.0)",
  seedVerb: undefined,
  runs: "none",
  requires: [{ binary: "rootlesskit", project: "rootless-containers/rootlesskit (>= 2.0)", url: "https://github.com/rootless-containers/rootlesskit/releases", debianPackage: "rootlesskit", minVersion: "2.0.0" }],
  async availability(ctx) {
    const reason = gateReason(await probeRootlessKitHelp(ctx.host));
    return reason ? { available: false, reason } : { available: true };
  },
  async checks() {
    return [];
  },
  async installPlan(ctx): Promise<PluginPlan> {
    const reason = gateReason(await probeRootlessKitHelp(ctx.host));
    if (reason) throw new UserError(`detach-netns ${reason}`, "Install RootlessKit 2.0 or later (https://github.com/rootless-containers/rootlesskit/releases), then run this again. Nothing was changed.");
    const steps = await settingPlan(ctx, "true");
    const caveat = await buildkitCaveat(ctx, true);
    return { steps, warnings: caveat ? [caveat] : [], notes: [], restartsContainerd: steps.some((s) => s.kind === "systemctl" && s.args[0] === "restart") };
  },
  async uninstallPlan(ctx): Promise<PluginPlan> {
    const steps = await settingPlan(ctx, "false");
    // what turning it off takes away: this machine's loopback (registries, proxies on 127.0.0.1)
    const warnings = steps.length ? [`${loopbackRegistryText(await loopbackRegistries(ctx.host, ctx.paths))}\n  ${loopbackRegistryFix(true)}`] : [];
    return { steps, warnings, notes: [`${ENV}="false" is now set in ${overridePath(ctx.paths)}.`], restartsContainerd: steps.some((s) => s.kind === "systemctl" && s.args[0] === "restart") };
  },
  async status(ctx) {
    const stateDir = await serviceStateDir(ctx.host, ctx.paths);
    const configured = (await serviceEnvironment(ctx.host, ctx.paths)).vars[ENV]?.value;
    const detached = await ctx.host.exists(join(stateDir, "netns"));
    return { installed: detached, detail: `${ENV}=${configured ?? "auto (default)"}; ${detached ? `in effect (${stateDir}/netns exists)` : "not in effect"}` };
  },
});
