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

const VERBS: Record<string, string> = { start: "Starting", restart: "Restarting", stop: "Stopping", enable: "Enabling", disable: "Disabling" };

export function stepPrinter(reporter: Reporter, previews: readonly StepPreview[]): (e: ApplyEvent) => void {
  return (e) => {
    if (e.type === "rollback") return reporter.warn(`Undoing: ${e.description}`);
    const { step } = e;
    if (e.type === "progress") return reporter.info(`Still waiting for ${stepTarget(step)} (${Math.round(e.elapsedMs / 1000)} s)`);
    if (e.type === "done") {
      if (step.kind === "wait") reporter.info(`${e.outcome.description[0]!.toUpperCase()}${e.outcome.description.slice(1)}`);
      else reporter.debug(`${e.outcome.description} (${e.outcome.changed ? "changed" : "unchanged"}, ${e.outcome.ms} ms)`);
      return;
    }
    const p = previews[e.index];
    switch (step.kind) {
      case "write":
      case "copy":
        if (!p?.willChange) return;
        if (p.description.startsWith("Create")) reporter.info(`Creating ${step.path}`);
        else {
          reporter.info(`Updating ${step.path}`);
          if (p.diff) reporter.plain(p.diff);
        }
        return;
      case "remove":
      case "remove-tree-in-namespace":
        if (p?.willChange) reporter.info(step.kind === "remove" ? `Removing ${step.path}` : `Removing ${step.path} (from inside the user namespace)`);
        return;
      case "mkdir":
        if (p?.willChange) reporter.info(`Creating ${step.path}`);
        return;
      case "systemctl": {
        const verb = VERBS[step.args[0]!];
        const units = step.args.slice(1).filter((a) => !a.startsWith("--"));
        if (verb) reporter.info(`${step.args.includes("--now") ? `Stopping and ${verb.toLowerCase()}` : verb} ${units.join(" ")}`);
        else reporter.debug(`Running ${stepTarget(step)}`);
        return;
      }
      case "run":
        return reporter.info(`Running ${stepTarget(step)}`);
      case "wait":
        return reporter.info(`Waiting for ${step.what}`);
    }
  };
}
