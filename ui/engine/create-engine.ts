// The real engine behind the installer: each method is the engine call the headless
// commands make (runChecks, the install planner, the plugins' plans, applyPlan with its
// journal and rollback, the run lock), adapted to what the screens show.
import "../../src/plugins/index.ts"; // every add-on registers itself
import type { Host } from "../../src/core/os/host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { withRunLock } from "../../src/core/plan/recover.ts";
import { unitDiagnostics } from "../../src/core/systemd/units.ts";
import { CONTAINERD_UNIT } from "../../src/core/os/paths.ts";
import { probeRootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";
import { unitSettings } from "../../src/core/systemd/service-environment.ts";
import type { EnvironmentFacts as Facts } from "../../src/core/checks/facts.ts";
import { checksWithGroups } from "./checks.ts";
import { sudoScript } from "../../src/core/checks/report.ts";
import { environmentFacts } from "./environment.ts";
import { listAddons } from "../../src/core/lifecycle/addons.ts";
import { settingFields } from "./settings.ts";
import { installedState } from "./status.ts";
import { planForChoices, planForUninstall, nextStepsFor, snapshotterDefault } from "./plans.ts";
import { clientHint, clientOf } from "../../src/core/lifecycle/client-hint.ts";
import { applyWithProgress } from "./apply.ts";
import { applyComponents, componentsOffer } from "./components.ts";
import { toolBinDirs } from "../../src/core/components/store.ts";
import { verifyWithLines } from "./verify.ts";
import type { Engine } from "./types.ts";

export function createEngine(host: Host): Engine {
  const paths = resolvePaths(host.env, host.uid);
  // the active nerdctl-full bundle's programs and ~/.local/bin come first, as on the units' PATH (as every command's run context)
  host.preferDirs = toolBinDirs(paths);
  let facts: Promise<Facts> | null = null;
  const getFacts = () => (facts ??= environmentFacts(host, paths).then((r) => r.facts));
  return {
    environment: async () => (await environmentFacts(host, paths)).summary,
    checks: async (onGroup) => {
      const r = await checksWithGroups(host, paths, onGroup);
      facts = Promise.resolve(r.facts);
      return r.findings;
    },
    sudoBlock: sudoScript,
    // `plugins --status`'s listing: availability and whether each is installed
    addons: async () =>
      (await listAddons(host, paths, true)).map((a) => ({
        id: a.id,
        title: a.title,
        summary: a.summary,
        available: a.available,
        reason: a.reason,
        via: a.via,
        installed: a.status?.installed ?? false,
        options: a.options,
      })),
    components: (opts) => componentsOffer(host, paths, opts),
    settings: async () => {
      const [rk, current] = await Promise.all([probeRootlessKitFacts(host), unitSettings(host, paths)]);
      return settingFields(rk, paths, current);
    },
    status: () => installedState(host, paths),
    plan: (choices) => planForChoices(host, paths, choices),
    uninstallPlan: (purge) => planForUninstall(host, paths, purge),
    apply: (plan, onProgress, signal) =>
      // the bundle takes its own lock, as `components install` does
      plan.components ? applyComponents(host, paths, plan, onProgress, signal) :
      // an interrupted earlier run is recovered first (its messages are for the headless transcript)
      withRunLock(host, paths, { purpose: "interactive installer" }, { warn: () => {}, info: () => {} }, () =>
        applyWithProgress(host, plan, onProgress, signal, {
          beforeRollback: async () => {
            const d = await unitDiagnostics(host, CONTAINERD_UNIT).catch(() => null);
            return d ? [d.status, d.journal, d.log].filter(Boolean).join("\n") : undefined;
          },
        }),
      ),
    nextSteps: async (plan) => nextStepsFor(await getFacts(), plan, await snapshotterDefault(host, paths), clientHint(await clientOf(host, paths), paths, host.env.HOME)),
    verify: (onLine, signal) => verifyWithLines(host, paths, onLine, signal),
  };
}
