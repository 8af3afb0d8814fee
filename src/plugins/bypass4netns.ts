// bypass4netns: accelerates rootless container networking by handling sockets on the host.
// Its daemon runs on the host (not in the namespace, not part of containerd).
import { dirname, join } from "node:path";
import { registerPlugin, type PluginContext, type Requirement } from "./registry.ts";
import { daemonInstallSteps, daemonStatus, daemonUninstallSteps, findRequired, requirementsAvailability, programOutput } from "./kit/daemon-unit.ts";
import { atLeast, parseVersion } from "../core/os/version.ts";
import type { Finding } from "../core/checks/findings.ts";
import { bypass4netnsdProbe } from "../core/containerd/addon-ready.ts";
import { bypass4netnsPrerequisites } from "./kit/bypass4netns-prereqs.ts";

const UNIT = "bypass4netnsd.service";
const socket = (ctx: PluginContext) => join(ctx.paths.runtimeDir, "bypass4netnsd.sock");
const requires: Requirement[] = [
  { binary: "bypass4netnsd", project: "rootless-containers/bypass4netns", url: "https://github.com/rootless-containers/bypass4netns/releases" },
  { binary: "bypass4netns", project: "rootless-containers/bypass4netns", url: "https://github.com/rootless-containers/bypass4netns/releases" },
];

/** How to turn it on per container, for the nerdctl that is installed (both forms when none is). */
export async function usageHint(ctx: PluginContext): Promise<string> {
  const nerdctl = await ctx.host.which("nerdctl");
  const version = nerdctl ? parseVersion(await programOutput(ctx.host, [nerdctl, "--version"])) : null;
  const annotation = "`nerdctl run --annotation nerdctl/bypass4netns=true ...` (nerdctl >= 2.0)";
  const label = "`nerdctl run --label nerdctl/bypass4netns=true ...` (nerdctl 0.17 to 1.x)";
  if (!version) return `Enable it per container with ${annotation}, or ${label}.`;
  if (atLeast(version, "2.0.0")) return `Enable it per container with \`nerdctl run --annotation nerdctl/bypass4netns=true ...\` (nerdctl ${version}).`;
  if (atLeast(version, "0.17.0")) return `Enable it per container with \`nerdctl run --label nerdctl/bypass4netns=true ...\` (nerdctl ${version}).`;
  return `nerdctl ${version} is too old for bypass4netns (needs >= 0.17); upgrade nerdctl, then use ${annotation}.`;
}

registerPlugin({
  id: "bypass4netns",
  title: "bypass4netns",
  summary: "Faster rootless networking: container sockets handled on the host (nerdctl >= 0.17)",
  unit: UNIT,
  seedVerb: "bypass4netnsd",
  runs: "host",
  requires,
  availability: (ctx) => requirementsAvailability(ctx.host, requires),
  checks: (ctx): Promise<Finding[]> => bypass4netnsPrerequisites(ctx.host),
  async installPlan(ctx) {
    const bins = await findRequired(ctx.host, requires);
    const daemon = await daemonInstallSteps(ctx.paths, ctx.host, {
      name: UNIT,
      description: "bypass4netnsd (accelerator for rootless containers)",
      argv: [bins.bypass4netnsd!],
      inNamespace: false,
      pathDirs: [dirname(bins.bypass4netns!)],
      comment: ["Runs on the host, not inside containerd's namespace, and is not part of containerd.service."],
    }, bypass4netnsdProbe(socket(ctx)));
    return { steps: daemon.steps, warnings: daemon.warnings, notes: [await usageHint(ctx)] };
  },
  async uninstallPlan(ctx) {
    return { steps: await daemonUninstallSteps(ctx.host, ctx.paths, UNIT), warnings: [], notes: [] };
  },
  status: (ctx) => daemonStatus(ctx.host, ctx.paths, UNIT, bypass4netnsdProbe(socket(ctx))),
  probes: async (ctx) => [{ unit: UNIT, probe: bypass4netnsdProbe(socket(ctx)) }],
});
