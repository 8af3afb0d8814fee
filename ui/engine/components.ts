// containerd and RootlessKit from the distribution, or from the nerdctl-full bundle (as
// `install --components`): the offer the choose screen shows, the plan that fetches the
// bundle first (its programs then come first on the units' PATH, so containerd's own plan is
// made once the bundle is active, like `install --components` and `apply -f [components]`),
// and applying it through the same installComponents the headless commands call.
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { Reporter } from "../../src/core/plan/reporter.ts";
import { installComponents } from "../../src/core/components/actions.ts";
import { resolveRequest } from "../../src/core/components/provision.ts";
import { activeVersion } from "../../src/core/components/store.ts";
import { PINNED, bundleArch } from "../../src/core/components/release.ts";
import type { ApplyOutcome, ApplyProgress, Choices, ComponentsOffer, PlanView } from "./types.ts";

/** "fetch nerdctl-full v2.2.2 (230 MB)"; without the size when it is not known. */
export function bundleChoiceLabel(version: string, bytes?: number): string {
  return `fetch nerdctl-full v${version}${bytes ? ` (${Math.round(bytes / 1e6)} MB)` : ""}`;
}

/** The two choices; the bundle is preselected when one is active already. No size is pinned for the tarballs, so none is shown. */
export async function componentsOffer(host: Host, paths: Paths, bytes?: number): Promise<ComponentsOffer> {
  const { version } = resolveRequest(host, {});
  const active = await activeVersion(host, paths);
  let reason: string | undefined;
  try {
    if (!PINNED[version]?.[bundleArch(host.arch)]) reason = `no SHA-256 is pinned for this architecture (${host.arch})`;
  } catch (e) {
    reason = (e as Error).message;
  }
  return {
    version,
    selected: active ? "bundle" : "distribution",
    choices: [
      { id: "distribution", label: "use the distribution's" },
      { id: "bundle", label: active === version ? `nerdctl-full v${version} (already fetched)` : bundleChoiceLabel(version, bytes), ...(reason ? { disabledReason: reason } : {}) },
    ],
  };
}

/** The plan that fetches the bundle when it was chosen and is not active yet; null otherwise. */
export async function componentsPlan(host: Host, paths: Paths, choices: Choices): Promise<PlanView | null> {
  if (!choices.components) return null;
  const { version, source } = resolveRequest(host, {});
  if ((await activeVersion(host, paths)) === version) return null;
  return {
    title: `Fetch nerdctl-full ${version} (containerd next)`,
    steps: [],
    items: [
      {
        kind: "command",
        label: `Fetch, verify and activate nerdctl-full ${version}`,
        detail: `${source}, checked against the SHA-256 built into this binary; containerd and RootlessKit then run from it`,
        effect: "create",
        diff: [],
      },
    ],
    unchanged: false,
    notes: [],
    summary: [`nerdctl-full ${version} active`],
    components: { version },
  };
}

/** The reporter of a run inside the UI: lines are kept, not printed over the screen. */
class Quiet extends Reporter {
  readonly lines: string[] = [];
  override info(m: string): void {
    this.lines.push(m);
  }
  override warn(m: string): void {
    this.lines.push(m);
  }
}

/** Fetches, verifies and activates the bundle as `components install` does; progress on item 0. */
export async function applyComponents(host: Host, paths: Paths, plan: PlanView, onProgress: (p: ApplyProgress) => void, signal: AbortSignal): Promise<ApplyOutcome> {
  onProgress({ index: 0, state: "running" });
  const reporter = new Quiet(host, { json: true });
  try {
    const r = await installComponents({ host, paths, reporter, signal }, { version: plan.components!.version });
    onProgress({ index: 0, state: "done", detail: r.changed ? undefined : "unchanged" });
    return { ok: true, changed: r.changed };
  } catch (e) {
    onProgress({ index: 0, state: "failed" });
    const err = e as Error & { fix?: string };
    return { ok: false, changed: false, error: [err.message, err.fix].filter(Boolean).join("\n"), rolledBack: true, diagnostics: reporter.lines };
  }
}
