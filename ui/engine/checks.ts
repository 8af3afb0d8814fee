// The checks as the UI shows them: runChecks (the same call `check` makes), grouped into
// the report's sections, and the sudo block `check` prints.
import type { Host } from "../../src/core/host.ts";
import type { Paths } from "../../src/core/paths.ts";
import type { Finding } from "../../src/core/findings.ts";
import { runChecks, SECTIONS, type CheckResult } from "../../src/core/checks/index.ts";
import { sudoScript } from "../../src/core/check-report.ts";
import type { CheckGroup } from "./types.ts";

const TITLES = SECTIONS.map((s) => s.title ?? "Checking the session: linger and conflicts");

export function sectionIndex(f: Finding): number {
  const group = f.id.split(".")[0]!;
  const i = SECTIONS.findIndex((s) => (s.prefixes as readonly string[]).includes(group));
  return i === -1 ? SECTIONS.length - 1 : i;
}

/** Runs every check; each section is reported running, then done with its findings. */
export async function checksWithGroups(host: Host, paths: Paths, onGroup: (g: CheckGroup) => void): Promise<CheckResult> {
  TITLES.forEach((title, i) => onGroup({ id: String(i), title, state: "running", findings: [] }));
  const result = await runChecks(host, paths);
  TITLES.forEach((title, i) => onGroup({ id: String(i), title, state: "done", findings: result.findings.filter((f) => sectionIndex(f) === i) }));
  return result;
}

export function sudoBlockFor(findings: readonly Finding[]): string {
  return sudoScript({ ok: true, refused: false, findings: [...findings], facts: undefined as never });
}
