// containerd and RootlessKit from the distribution, or from the nerdctl-full bundle (as
// `install --components`): the offer the choose screen shows (with the download's size when
// the server tells it), the plan that fetches the bundle first (its programs then come first
// on the units' PATH, so containerd's own plan is made once the bundle is active, like
// `install --components` and `apply -f [components]`), and applying it through the same
// installComponents the headless commands call, its download's progress on the step.
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { Reporter } from "../../src/core/plan/reporter.ts";
import { installComponents } from "../../src/core/components/actions.ts";
import { checkRequest, resolveRequest, trustFor } from "../../src/core/components/provision.ts";
import { activeVersion } from "../../src/core/components/store.ts";
import { SwitchedBackError } from "../../src/core/components/switch.ts";
import { progressFigures, throttled } from "../../src/core/components/progress.ts";
import { remoteSize } from "../../src/core/components/size.ts";
import { PINNED, TRUST_TEXT, bundleArch } from "../../src/core/components/release.ts";
import { componentsFields } from "./components-form.ts";
import type { ApplyOutcome, ApplyProgress, Choices, ComponentsOffer, PlanView } from "./types.ts";

/** "fetch nerdctl-full v2.2.2 (262 MB)"; `null`: the server could not say; `undefined`: not asked (yet). */
export function bundleChoiceLabel(version: string, bytes?: number | null): string {
  return `fetch nerdctl-full v${version}${bytes ? ` (${Math.round(bytes / 1e6)} MB)` : bytes === null ? " (size unknown)" : ""}`;
}

/**
 * The two choices; the bundle is preselected when one is active already. No size is pinned
 * (the public sources give the checksums, not the sizes): with `size`, the release server is
 * asked for the tarball's length, for a few seconds at most, and "size unknown" when offline.
 */
export async function componentsOffer(host: Host, paths: Paths, opts: { size?: boolean; sizeTimeoutMs?: number } = {}): Promise<ComponentsOffer> {
  const active = await activeVersion(host, paths);
  let version: string;
  let reason: string | undefined;
  let bytes: number | null | undefined;
  try {
    const r = resolveRequest(host, {});
    version = r.version;
    if (!PINNED[version]?.[bundleArch(host.arch)]) reason = `no SHA-256 is pinned for this architecture (${host.arch})`;
    else if (opts.size && active !== version) bytes = await remoteSize(host, r.source, { timeoutMs: opts.sizeTimeoutMs });
  } catch (e) {
    version = "?";
    reason = (e as Error).message;
  }
  return {
    version,
    selected: active ? "bundle" : "distribution",
    choices: [
      { id: "distribution", label: "use the distribution's" },
      { id: "bundle", label: active === version ? `nerdctl-full v${version} (already fetched)` : bundleChoiceLabel(version, bytes), ...(reason ? { disabledReason: reason } : {}) },
    ],
    fields: componentsFields(host),
  };
}

/** The plan that fetches the bundle when it was chosen and is not active yet; null otherwise. Bad input (a missing file, a plain http URL...) is refused here, before anything runs. */
export async function componentsPlan(host: Host, paths: Paths, choices: Choices): Promise<PlanView | null> {
  if (!choices.components) return null;
  const req = choices.componentsSource ?? {};
  const { version, source, local } = await checkRequest(host, req);
  if ((await activeVersion(host, paths)) === version) return null;
  return {
    title: `Fetch nerdctl-full ${version} (containerd next)`,
    steps: [],
    items: [
      {
        kind: "command",
        label: `${local ? "Read" : "Fetch"}, verify and activate nerdctl-full ${version}`,
        detail: `${source}, checked against ${TRUST_TEXT[trustFor(host, req, version)]}; containerd and RootlessKit then run from it`,
        effect: "create",
        diff: [],
      },
    ],
    unchanged: false,
    notes: [],
    summary: [`nerdctl-full ${version} active`],
    components: { ...req, version },
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

/** Fetches, verifies and activates the bundle as `components install` does; progress (and the download's figures, ten times a second) on item 0. */
export async function applyComponents(host: Host, paths: Paths, plan: PlanView, onProgress: (p: ApplyProgress) => void, signal: AbortSignal): Promise<ApplyOutcome> {
  onProgress({ index: 0, state: "running" });
  const reporter = new Quiet(host, { json: true });
  const { version, from, sha256, insecureHttp } = plan.components!;
  const download = throttled((p) => onProgress({ index: 0, state: "running", download: progressFigures(p) }));
  try {
    const r = await installComponents({ host, paths, reporter, signal }, { version, from, sha256, insecureHttp, onProgress: download });
    onProgress({ index: 0, state: "done", detail: r.changed ? undefined : "unchanged" });
    return { ok: true, changed: r.changed };
  } catch (e) {
    onProgress({ index: 0, state: "failed" });
    return componentsFailure(e, reporter.lines);
  }
}

/**
 * A failed fetch or switch as the apply screen shows it. "Undone" (rolledBack) only when the
 * bundle was switched and switched back to a version that answers again: a refused download,
 * checksum or bundle changed nothing (provision leaves nothing behind), so nothing was undone.
 */
export function componentsFailure(e: unknown, diagnostics: string[]): ApplyOutcome {
  const err = e as Error & { fix?: string };
  return { ok: false, changed: false, error: [err.message, err.fix].filter(Boolean).join("\n"), rolledBack: e instanceof SwitchedBackError && e.answers, diagnostics };
}
