// Prints a verify report: one line per probe in a fixed order (pass, FAIL, off, n/a, with the fix
// under what failed), root fixes of the failures that should not happen gathered into one
// `sudo sh -eux` block, what was removed again, and a summary; or, with --json, the report.
// Only a failure that should not happen is an [ERROR] (stderr); "off" is information with its
// fix, as check's optional findings are. At the end of install/configure/apply (`brief`) a probe
// that did not fail that way is one line: its details are `verify`'s.
import type { Reporter } from "../plan/reporter.ts";
import { sudoBlock } from "../checks/findings.ts";
import { isProblem, type ProbeOutcome, type VerifyReport } from "./outcome.ts";

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** A probe's status word: pass, FAIL (should have passed), off (a setting says it cannot), n/a. */
export function statusWord(o: ProbeOutcome): string {
  return o.status === "pass" ? "pass" : o.status === "n/a" ? "n/a" : o.expected ? "FAIL" : "off";
}

export function probeText(o: ProbeOutcome, verbose = false, brief = false): string {
  const lines = [`${statusWord(o).padEnd(4)}  ${o.title}: ${o.message}`];
  if (brief && !isProblem(o)) return lines[0]!;
  if (verbose || isProblem(o)) lines.push(...o.evidence.map((e) => `        | ${e}`));
  if (o.status === "fail" && o.fix) lines.push(`        ${o.fix}`);
  if (o.status === "fail" && o.sudoFix?.length) lines.push(isProblem(o) ? "        (needs root: see the sudo block below)" : "        optional, as root:", ...(isProblem(o) ? [] : o.sudoFix.flatMap((l) => l.split("\n")).map((l) => `          ${l}`)));
  return lines.join("\n");
}

/** One line for the whole run. */
export function summaryText(r: VerifyReport): string {
  const count = (pred: (o: ProbeOutcome) => boolean) => r.probes.filter(pred).length;
  const parts = [
    `${count((o) => o.status === "pass")} passed`,
    ...(count(isProblem) ? [`${count(isProblem)} failed`] : []),
    ...(count((o) => o.status === "fail" && !o.expected) ? [`${count((o) => o.status === "fail" && !o.expected)} off by a setting`] : []),
    ...(count((o) => o.status === "n/a") ? [`${count((o) => o.status === "n/a")} not applicable`] : []),
  ];
  const left = r.cleanup.kept.length ? "kept for inspection as asked" : r.cleanup.problems.length ? "NOT everything removed (see above)" : "nothing left behind";
  return `${r.ok ? "Containers work" : "Containers do NOT fully work"}: ${plural(r.probes.length, "probe")} in ${(r.ms / 1000).toFixed(2)} s, ${parts.join(", ")}; ${left}.`;
}

/** Prints the report and returns the exit code: 1 when a probe that should pass failed. */
export function reportVerify(reporter: Reporter, r: VerifyReport): number {
  if (reporter.json) reporter.result(r);
  else printVerify(reporter, r);
  return r.ok ? 0 : 1;
}

/** The human lines of a report (also, `brief`, at the end of install, configure and apply). */
export function printVerify(reporter: Reporter, r: VerifyReport, brief = false): void {
  for (const o of r.probes) {
    const text = probeText(o, reporter.verbose, brief);
    if (isProblem(o)) reporter.error(text);
    else reporter.info(text);
  }
  const root = [...new Set(r.probes.filter(isProblem).flatMap((o) => o.sudoFix ?? []))];
  if (root.length) {
    reporter.info("These fixes need root; run them as one block:");
    reporter.plain(sudoBlock(root));
  }
  for (const line of r.cleanup.removed) reporter.debug(`Removed ${line}`);
  for (const line of r.cleanup.kept) reporter.info(`Kept ${line}`);
  for (const line of r.cleanup.problems) reporter.warn(`Not removed: ${line}`);
  (r.ok ? reporter.info.bind(reporter) : reporter.error.bind(reporter))(summaryText(r));
}
