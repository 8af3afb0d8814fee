// runChecks: every probe, the independent ones concurrently, findings in a fixed order
// (the order the report prints them in), plus the environment facts they gathered.
// Root is refused before anything else runs. A probe that fails unexpectedly becomes an
// error finding; no exception escapes. `onProbe` hears each probe group as it finishes
// (for live progress); the returned result is the same with or without it.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import type { Finding } from "./findings.ts";
import { isFatal } from "./findings.ts";
import { createContext, type CheckContext, type CheckOptions, type ProbeResult } from "./context.ts";
import { emptyFacts, mergeFacts, type EnvironmentFacts } from "./facts.ts";
import { readDistro } from "./distro.ts";
import { probeSession, rootRefusal } from "./session.ts";
import { probeBinaries } from "./binaries.ts";
import { probeSubids } from "./subid.ts";
import { probeSysctl } from "./sysctl.ts";
import { probeSmoke, runSmoke, smokeCommand } from "./smoke.ts";
import { probeCgroup } from "./cgroup.ts";
import { probeOverlayfs } from "./overlayfs.ts";
import { probeLinger } from "./linger.ts";
import { probeConflicts } from "./conflicts.ts";
import { probeUserns } from "./userns.ts";
import { probeDataroot } from "./dataroot.ts";
import { probeUnprivileged } from "./unprivileged.ts";
import { probeProxy } from "./proxy.ts";
import { probeCni } from "./cni.ts";
import { probeDns } from "./dns.ts";
import { probePasta } from "./pasta.ts";
import { probeRegistry } from "./registry.ts";

export type { CheckOptions } from "./context.ts";
export type { EnvironmentFacts } from "./facts.ts";

/** The probe groups, in report order; every finding's id starts with its group's name. */
export type ProbeGroup =
  | "session" | "binaries" | "subid" | "sysctl" | "userns" | "rootlesskit" | "cgroup" | "overlayfs" | "dataroot"
  | "linger" | "conflicts" | "unprivileged" | "proxy" | "registry" | "cni" | "dns" | "pasta";

export interface RunChecksOptions extends CheckOptions {
  /** called once per probe group as soon as it finishes, with that group's findings, before runChecks resolves */
  onProbe?: (group: ProbeGroup, findings: readonly Finding[]) => void;
}

export interface CheckResult {
  ok: boolean;
  /** true when the run stopped at the root refusal */
  refused: boolean;
  findings: Finding[];
  facts: EnvironmentFacts;
}

/** The report's sections, in the seed's order; each finding id starts with one of the prefixes. */
export const SECTIONS = [
  { title: "Checking RootlessKit functionality", prefixes: ["session", "binaries", "subid", "sysctl", "userns", "rootlesskit"] },
  { title: "Checking cgroup v2", prefixes: ["cgroup"] },
  { title: "Checking overlayfs", prefixes: ["overlayfs", "dataroot"] },
  { title: null, prefixes: ["linger", "conflicts", "unprivileged", "proxy", "registry", "cni", "dns", "pasta"] },
] as const;

const PROBES: readonly (readonly [ProbeGroup, (ctx: CheckContext) => Promise<ProbeResult>])[] = [
  ["session", probeSession],
  ["binaries", probeBinaries],
  ["subid", probeSubids],
  ["sysctl", probeSysctl],
  ["userns", probeUserns],
  ["rootlesskit", probeSmoke],
  ["cgroup", probeCgroup],
  ["overlayfs", probeOverlayfs],
  ["dataroot", probeDataroot],
  ["linger", probeLinger],
  ["conflicts", probeConflicts],
  // what users run into after the basics (behaviour.md, last section): optional or warnings, never fatal
  ["unprivileged", probeUnprivileged],
  ["proxy", probeProxy],
  ["registry", probeRegistry],
  ["cni", probeCni],
  ["dns", probeDns],
  ["pasta", probePasta],
];

export const PROBE_GROUPS: readonly ProbeGroup[] = PROBES.map(([g]) => g);

async function guarded(group: string, probe: (ctx: CheckContext) => Promise<ProbeResult>, ctx: CheckContext): Promise<ProbeResult> {
  try {
    return await probe(ctx);
  } catch (e) {
    return { findings: [{ id: `${group}.probe-failed`, level: "error", message: `The ${group} check failed unexpectedly: ${(e as Error)?.message ?? String(e)}` }] };
  }
}

/** Tells `onProbe` about a finished group; a throwing listener must not break the checks. */
function report(onProbe: RunChecksOptions["onProbe"], group: ProbeGroup, r: ProbeResult): ProbeResult {
  try {
    onProbe?.(group, r.findings);
  } catch {
    // progress display only: the result is what counts
  }
  return r;
}

export async function runChecks(host: Host, paths: Paths, opts: RunChecksOptions = {}): Promise<CheckResult> {
  const { onProbe, ...checkOpts } = opts;
  // root is refused before anything runs, even the user-name look-up
  const ctx = createContext(host, paths, "root", checkOpts);
  const refusal = rootRefusal(ctx);
  if (refusal) return { ok: false, refused: true, findings: [refusal], facts: emptyFacts("root", host.uid) };

  // the slowest probe, the RootlessKit run, starts first, before the user-name look-up it does not need
  // (memoised: probeSmoke and the overlayfs probe share it)
  if (checkOpts.smokeTest !== false) void runSmoke(ctx, await smokeCommand(ctx));
  const user = (ctx.user = await host.userName().catch(() => String(host.uid)));
  const base = emptyFacts(user, host.uid);
  const [results, distro] = await Promise.all([Promise.all(PROBES.map(([g, p]) => guarded(g, p, ctx).then((r) => report(onProbe, g, r)))), readDistro(ctx).catch(() => null)]);
  const findings = results.flatMap((r) => r.findings);
  const facts = mergeFacts({ ...base, distro }, results.map((r) => r.facts));
  return { ok: !findings.some(isFatal), refused: false, findings, facts };
}
