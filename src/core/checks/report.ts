// Prints a CheckResult: the seed's three "Checking ..." lines with the findings of each
// section, every fix beside its finding, all root-needing fixes gathered into one
// `sudo sh -eux` block, then "Requirements are satisfied" or a summary. Or, with --json,
// one document: { ok, findings: [{ id, level, message, fix, sudoFix, then, detail }], sudoScript, facts }.
import type { Finding } from "./findings.ts";
import { renderSudoBlock } from "./findings.ts";
import type { Reporter } from "../plan/reporter.ts";
import { SECTIONS, type CheckResult } from "./index.ts";

/** The seed section a finding is shown under (its id's first part), the last one otherwise. */
export function sectionOf(f: Finding): number {
  const group = f.id.split(".")[0]!;
  const i = SECTIONS.findIndex((s) => (s.prefixes as readonly string[]).includes(group));
  return i === -1 ? SECTIONS.length - 1 : i;
}

/** Root fixes come from what is wrong (warnings and errors), not from hints. */
export function needsAction(f: Finding): boolean {
  return f.level === "warning" || f.level === "error";
}

export function findingText(f: Finding): string {
  const lines = [f.message];
  if (f.fix) lines.push(`  ${f.fix}`);
  if (f.sudoFix?.length && needsAction(f)) lines.push(`  (needs root: see the sudo block below${f.then ? `; after it: ${f.then}` : ""})`);
  // an optional fix (a hint's) never joins the sudo block: shown here, for whoever wants it
  else if (f.sudoFix?.length) lines.push("  optional, as root:", ...f.sudoFix.flatMap((l) => l.split("\n")).map((l) => `    ${l}`), ...(f.then ? [`  then: ${f.then}`] : []));
  if (f.detail) lines.push(...f.detail.split("\n").map((l) => `  | ${l}`));
  return lines.join("\n");
}

function printFinding(reporter: Reporter, f: Finding): void {
  const text = findingText(f);
  if (f.level === "error") reporter.error(text);
  else if (f.level === "warning") reporter.warn(text);
  else if (f.level === "info") reporter.info(text);
  else if (reporter.verbose) reporter.info(text);
}

/** The one `sudo sh -eux` block for what the findings need root to fix. */
export function sudoScript(findings: readonly Finding[]): string {
  return renderSudoBlock(findings.filter(needsAction));
}

export function checkJson(result: CheckResult) {
  return {
    ok: result.ok,
    findings: result.findings.map((f) => ({
      id: f.id,
      level: f.level,
      message: f.message,
      fix: f.fix ?? null,
      ...(f.sudoFix ? { sudoFix: f.sudoFix } : {}),
      ...(f.then ? { then: f.then } : {}),
      ...(f.detail ? { detail: f.detail } : {}),
    })),
    sudoScript: sudoScript(result.findings) || null,
    facts: result.facts,
  };
}

/** Prints the result and returns the exit code: 0 when nothing is fatal, else 1. */
export function reportChecks(reporter: Reporter, result: CheckResult): number {
  const code = result.ok ? 0 : 1;
  if (reporter.json) {
    reporter.result(checkJson(result));
    return code;
  }
  if (result.refused) {
    for (const f of result.findings) printFinding(reporter, f);
    return code;
  }
  SECTIONS.forEach((section, i) => {
    if (section.title) reporter.info(section.title);
    for (const f of result.findings) if (sectionOf(f) === i) printFinding(reporter, f);
  });
  const block = sudoScript(result.findings);
  if (block) {
    reporter.info("These fixes need root; run them as one block:");
    reporter.plain(block);
  }
  const errors = result.findings.filter((f) => f.level === "error").length;
  const warnings = result.findings.filter((f) => f.level === "warning").length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (errors > 0) reporter.error(`${plural(errors, "error")}, ${plural(warnings, "warning")}: rootless containerd cannot work here until the errors above are fixed.`);
  else if (warnings > 0) reporter.info(`Requirements are satisfied (${plural(warnings, "warning")} above)`);
  else reporter.info("Requirements are satisfied");
  return code;
}
