// The headless transcript of install/uninstall: check findings under the seed's
// "Checking ..." headings, then one line per step as it runs ("Creating <path>", "Starting
// containerd.service", progress while waiting, "Undoing ..." on rollback).
import type { Reporter } from "../plan/reporter.ts";
import type { Finding } from "../checks/findings.ts";
import { findingText, sectionOf } from "../checks/report.ts";
import { SECTIONS } from "../checks/index.ts";
import type { ApplyEvent } from "../plan/execute.ts";
import type { StepPreview } from "../plan/render.ts";
import { stepTarget } from "../plan/steps.ts";

/** Headings in the seed's order; warnings and errors under them (everything with --verbose). */
export function printFindings(reporter: Reporter, findings: readonly Finding[]): void {
  SECTIONS.forEach((s, i) => {
    if (s.title) reporter.info(s.title);
    for (const f of findings) {
      if (sectionOf(f) !== i) continue;
      if (f.level === "error") reporter.error(findingText(f));
      else if (f.level === "warning") reporter.warn(findingText(f));
      else if (reporter.verbose) reporter.info(findingText(f));
    }
  });
}

/**
 * One `[INFO]` line per step as it starts. A new file is the seed's own line ("Creating <path>",
 * full path, exactly as the seed prints it); every other step says its label (plan/label.ts), the
 * same words as --dry-run, --json and the UI. Steps that change nothing are only in --verbose.
 */
export function stepPrinter(reporter: Reporter, previews: readonly StepPreview[]): (e: ApplyEvent) => void {
  return (e) => {
    if (e.type === "rollback") return reporter.warn(`Undoing: ${e.description}`);
    const { step } = e;
    if (e.type === "progress") return reporter.info(`Still waiting for ${stepTarget(step)} (${Math.round(e.elapsedMs / 1000)} s)`);
    if (e.type === "done") {
      if (step.kind === "wait") reporter.info(`${e.outcome.result[0]!.toUpperCase()}${e.outcome.result.slice(1)}`);
      else reporter.debug(`${e.outcome.result} (${e.outcome.changed ? "changed" : "unchanged"}, ${e.outcome.ms} ms)`);
      return;
    }
    const p = previews[e.index];
    if (p && !p.willChange) return reporter.debug(`${e.description} (unchanged)`);
    if (p?.effect === "create" && "path" in step) return reporter.info(`Creating ${step.path}`);
    reporter.info(e.description);
    if (p?.effect === "update" && p.diff) reporter.plain(p.diff);
  };
}
