// BuildKit: `nerdctl build`. OCI worker by default; the containerd worker as an option, with its
// namespace (then the unit is NS-buildkit.service with its own socket and root).
import { join } from "node:path";
import { registerPlugin, type PluginContext, type PluginPlan, type Requirement } from "./registry.ts";
import { UsageError, UserError } from "../core/os/errors.ts";
import { daemonInstallSteps, daemonStatus, daemonUninstallSteps, findRequired, requirementsAvailability, requireContainerdActive } from "./kit/daemon-unit.ts";
import { buildkitCaveat, detachNetnsInEffect, ownedBuildkitUnits } from "./kit/buildkit-facts.ts";
import { buildkitCniMissing, buildkitFacts, findBuildkitCni, type BuildkitCni } from "../core/checks/buildkit.ts";
import { backupPath } from "../core/os/paths.ts";
import type { Step } from "../core/plan/steps.ts";
import { buildkitProbe } from "../core/containerd/addon-ready.ts";

const requires: Requirement[] = [{ binary: "buildkitd", project: "moby/buildkit", url: "https://github.com/moby/buildkit/releases" }];
const NS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface BuildkitLayout {
  unit: string;
  socket: string;
  args: string[];
}

/**
 * The unit name, socket and buildkitd flags for a worker choice (behaviour.md, BuildKit). `cni`:
 * bridge networking (BuildKit >= 0.13) and where it finds its CNI plugins (core/checks/buildkit.ts):
 * a directory goes to --oci-cni-binary-dir / --containerd-cni-binary-dir; buildkit-cni-* beside
 * buildkitd need no flag (buildkitd looks them up on its PATH, which starts with its own directory).
 */
export function buildkitLayout(ctx: PluginContext, worker: string, namespace: string | undefined, cni: BuildkitCni | null): BuildkitLayout {
  const net = (w: "oci" | "containerd") => (cni ? [`--${w}-worker-net=bridge`, ...(cni.prefixed ? [] : [`--${w}-cni-binary-dir=${cni.dir}`])] : []);
  if (worker === "oci") {
    const socket = join(ctx.paths.runtimeDir, "buildkit/buildkitd.sock");
    return { unit: "buildkit.service", socket, args: ["--oci-worker=true", "--oci-worker-rootless=true", "--containerd-worker=false", ...net("oci"), `--addr=unix://${socket}`] };
  }
  const base = ["--oci-worker=false", "--containerd-worker=true", "--containerd-worker-rootless=true", ...net("containerd")];
  if (!namespace) {
    const socket = join(ctx.paths.runtimeDir, "buildkit/buildkitd.sock");
    return { unit: "buildkit.service", socket, args: [...base, `--addr=unix://${socket}`] };
  }
  const socket = join(ctx.paths.runtimeDir, `buildkit-${namespace}/buildkitd.sock`);
  return {
    unit: `${namespace}-buildkit.service`,
    socket,
    args: [...base, `--addr=unix://${socket}`, `--root=${join(ctx.paths.dataHome, `buildkit-${namespace}`)}`, `--containerd-worker-namespace=${namespace}`],
  };
}

function socketOfUnit(ctx: PluginContext, unit: string): string {
  const ns = unit === "buildkit.service" ? undefined : unit.slice(0, -"-buildkit.service".length);
  return join(ctx.paths.runtimeDir, ns ? `buildkit-${ns}/buildkitd.sock` : "buildkit/buildkitd.sock");
}

registerPlugin({
  id: "buildkit",
  title: "BuildKit",
  summary: "`nerdctl build`: buildkitd as a user service (OCI worker, or the containerd worker per namespace)",
  unit: "buildkit.service",
  seedVerb: "buildkit",
  runs: "namespace",
  requires,
  options: [
    { key: "worker", label: "Worker", choices: ["oci", "containerd"], default: "oci" },
    { key: "namespace", label: "containerd namespace (containerd worker)", validate: (v) => (v === "" || NS_RE.test(v) ? undefined : `invalid namespace "${v}"`) },
  ],
  // available = its unit will start: buildkitd found and, with bridge networking, its CNI plugins too
  async availability(ctx) {
    const found = await requirementsAvailability(ctx.host, requires);
    if (!found.available) return found;
    const facts = await buildkitFacts(ctx.host);
    if (!facts.path || !facts.bridge || (await findBuildkitCni(ctx.host, ctx.paths, facts.path))) return found;
    const missing = buildkitCniMissing(ctx.paths, facts.path);
    return { available: false, reason: `${missing.message}. ${missing.fix}` };
  },
  async checks() {
    return [];
  },
  async installPlan(ctx, options): Promise<PluginPlan> {
    const worker = options.worker ?? "oci";
    const namespace = options.namespace || undefined;
    if (worker !== "oci" && worker !== "containerd") throw new UsageError(`invalid BuildKit worker "${worker}"; expected oci or containerd`);
    if (namespace && worker !== "containerd") throw new UsageError("--namespace needs --worker=containerd (the OCI worker does not use containerd's namespaces)");
    if (namespace && !NS_RE.test(namespace)) throw new UsageError(`invalid containerd namespace "${namespace}"`, "Use letters, digits, '.', '_' and '-'.");
    const bins = await findRequired(ctx.host, requires);
    await requireContainerdActive(ctx.host, "BuildKit");
    const facts = await buildkitFacts(ctx.host);
    const cni = facts.bridge ? await findBuildkitCni(ctx.host, ctx.paths, bins.buildkitd!) : null;
    if (facts.bridge && !cni) {
      const missing = buildkitCniMissing(ctx.paths, bins.buildkitd!);
      throw new UserError(missing.message, `${missing.fix} Nothing was changed.`);
    }
    const layout = buildkitLayout(ctx, worker, namespace, cni);
    const warnings: string[] = [];
    const steps: Step[] = [];
    const caveat = await buildkitCaveat(ctx);
    const userToml = await ctx.host.readText(ctx.paths.buildkitConfig);
    const shown = (text: string) => `${ctx.paths.buildkitConfig}:\n${text.replace(/\n$/, "").split("\n").map((l) => `    ${l}`).join("\n")}`;
    if (caveat) {
      warnings.push(caveat);
      if (userToml !== null) warnings.push(`${shown(userToml)}\nis yours and stays as it is now; the reinstall after the upgrade moves it to the backups only with your yes.`);
    } else if (facts.bridge && (await detachNetnsInEffect(ctx.host, ctx.paths))) {
      // the seed's fix after an upgrade: the old buildkitd.toml goes (kept as a backup), the unit is rewritten
      const old = userToml;
      const previous = await ctx.host.readText(join(ctx.paths.unitDir, layout.unit));
      if (old !== null && previous !== null && !previous.includes("-worker-net=bridge")) {
        const backup = backupPath(ctx.paths, ctx.paths.buildkitConfig);
        steps.push({ kind: "write", path: backup, content: old, why: "your buildkitd.toml, moved to the backups (the seed's BuildKit >= 0.13 fix)" }, { kind: "remove", path: ctx.paths.buildkitConfig, why: "BuildKit < 0.13 settings; the seed's fix under detach-netns (kept in the backups)" });
        warnings.push(
          `The ${layout.unit} installed for BuildKit < 0.13 is replaced, and, as the seed's fix for detach-netns (its settings were written for BuildKit < 0.13, whose RUN steps could reach the host's loopback), ` +
            `${shown(old)}\nis moved to ${backup} (not deleted) once you confirm this plan (or with --yes).`,
        );
      }
    }
    if (worker === "containerd" && !namespace) warnings.push('buildkitd sees the images of the containerd namespace "buildkit" by default; to build into "default", install with --worker=containerd --namespace=default.');
    // restarted with containerd (PartOf=): when the same run restarts containerd, it must answer after that
    const daemon = await daemonInstallSteps(ctx.paths, ctx.host, { name: layout.unit, description: `BuildKit (Rootless)${namespace ? ` for namespace ${namespace}` : ""}`, argv: [bins.buildkitd!, ...layout.args], inNamespace: true }, buildkitProbe(layout.socket), { afterContainerdRestart: true });
    steps.push(...daemon.steps);
    warnings.push(...daemon.warnings);
    const addr = `unix://${layout.socket}`;
    return { steps, warnings, notes: [`buildkitd listens on ${addr}${layout.socket.endsWith("buildkit/buildkitd.sock") ? " (nerdctl finds it)" : ` (use \`nerdctl --namespace=${namespace} build\` or BUILDKIT_HOST=${addr})`}.`] };
  },
  async uninstallPlan(ctx): Promise<PluginPlan> {
    const steps: Step[] = [];
    for (const unit of await ownedBuildkitUnits(ctx.host, ctx.paths)) steps.push(...(await daemonUninstallSteps(ctx.host, ctx.paths, unit)));
    return { steps, warnings: [], notes: [] };
  },
  async status(ctx) {
    const units = await ownedBuildkitUnits(ctx.host, ctx.paths);
    if (units.length === 0) return { installed: false, detail: "buildkit.service is not installed" };
    const all = await Promise.all(units.map((u) => daemonStatus(ctx.host, ctx.paths, u, buildkitProbe(socketOfUnit(ctx, u)))));
    return { installed: all.some((s) => s.installed), enabled: all.some((s) => s.enabled), active: all.some((s) => s.active), detail: all.map((s) => s.detail).join("; ") };
  },
  async probes(ctx) {
    return (await ownedBuildkitUnits(ctx.host, ctx.paths)).map((unit) => ({ unit, probe: buildkitProbe(socketOfUnit(ctx, unit)) }));
  },
  /** The worker and namespace, read back from the flags in its unit's ExecStart. */
  async currentOptions(ctx) {
    const [unit] = await ownedBuildkitUnits(ctx.host, ctx.paths);
    const text = unit ? ((await ctx.host.readText(join(ctx.paths.unitDir, unit))) ?? "") : "";
    if (!/--containerd-worker=true/.test(text)) return {};
    const ns = /--containerd-worker-namespace=([^\s"]+)/.exec(text)?.[1];
    return { worker: "containerd", ...(ns ? { namespace: ns } : {}) };
  },
});

