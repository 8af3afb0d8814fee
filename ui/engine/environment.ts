// The welcome screen's summary, from the facts the checks gather (without the slow smoke
// test: the checks screen runs that).
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { runChecks } from "../../src/core/checks/index.ts";
import type { EnvironmentFacts as Facts } from "../../src/core/checks/facts.ts";
import type { EnvironmentFacts } from "./types.ts";

const CGROUP: Record<Facts["cgroup"], string> = { v2: "v2", hybrid: "v1 (hybrid: v2 mounted beside it)", v1: "v1", unknown: "unknown" };

export function summarize(f: Facts): EnvironmentFacts {
  return {
    user: `${f.user} (uid ${f.uid})`,
    distro: f.distro ? (f.distro.prettyName ?? `${f.distro.id} ${f.distro.versionId ?? ""}`.trim()) : "unknown",
    kernel: f.kernelRelease ?? "unknown",
    cgroup: CGROUP[f.cgroup],
    rootlesskit: f.tools.rootlesskit ? (f.tools.rootlesskit.version ?? f.tools.rootlesskit.versionText) : null,
    containerd: f.tools.containerd ? (f.tools.containerd.version ?? f.tools.containerd.versionText) : null,
  };
}

export async function environmentFacts(host: Host, paths: Paths): Promise<{ summary: EnvironmentFacts; facts: Facts }> {
  const r = await runChecks(host, paths, { smokeTest: false });
  return { summary: summarize(r.facts), facts: r.facts };
}
