// The checks as the UI shows them: runChecks (the same call `check` makes), grouped into
// the report's sections (the sudo block is check-report's sudoScript, used as it is).
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import type { Finding } from "../../src/core/checks/findings.ts";
import { runChecks, PROBE_GROUPS, SECTIONS, type CheckResult, type ProbeGroup } from "../../src/core/checks/index.ts";
import { sectionOf } from "../../src/core/checks/report.ts";
import type { CheckGroup } from "./types.ts";

const TITLES = SECTIONS.map((s) => s.title ?? "Checking the session: linger and conflicts");

/**
 * Runs every check; each section is reported running, then done with its findings as soon
 * as its last probe group finishes (runChecks' onProbe). Sections not finished by the probes
 * (the root refusal stops before any runs) are settled from the result at the end.
 */
export async function checksWithGroups(host: Host, paths: Paths, onGroup: (g: CheckGroup) => void): Promise<CheckResult> {
  TITLES.forEach((title, i) => onGroup({ id: String(i), title, state: "running", findings: [] }));
  const heard = new Map<ProbeGroup, readonly Finding[]>();
  const shown = new Map<number, Finding[]>();
  const settle = (i: number, findings: Finding[]) => {
    shown.set(i, findings);
    onGroup({ id: String(i), title: TITLES[i]!, state: "done", findings });
  };
  const onProbe = (group: ProbeGroup, findings: readonly Finding[]) => {
    heard.set(group, findings);
    SECTIONS.forEach((s, i) => {
      if (shown.has(i) || !(s.prefixes as readonly ProbeGroup[]).every((g) => heard.has(g))) return;
      // in report order: the groups' order, as runChecks returns them
      settle(i, PROBE_GROUPS.flatMap((g) => [...(heard.get(g) ?? [])]).filter((f) => sectionOf(f) === i));
    });
  };
  const result = await runChecks(host, paths, { onProbe });
  TITLES.forEach((_, i) => {
    const findings = result.findings.filter((f) => sectionOf(f) === i);
    const before = shown.get(i);
    if (!before || before.length !== findings.length || before.some((f, j) => f !== findings[j])) settle(i, findings);
  });
  return result;
}
