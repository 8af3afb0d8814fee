// `install`: the seed's steps. Checks (fatal findings stop it; --force only downgrades a
// failed RootlessKit smoke test), then the plan (install-plan.ts): copy the binary, write
// containerd.service, daemon-reload only for a unit systemd had loaded, start, enable and the
// shell completions while containerd starts, wait until the containerd API answers; then the
// seed's closing lines. A failure shows why (systemctl status, journal, the launcher's stderr),
// rolls back what this run changed and exits 1. Nothing to change: says so, changed=false.
import { refuseBrokenDropIns } from "../systemd/dropin-syntax.ts";
import { managerGone, managerSocket } from "../systemd/manager.ts";
import type { RunContext } from "../plan/run-context.ts";
import { UserError } from "../os/errors.ts";
import { gatherSudoLines, isFatal, type Finding } from "../checks/findings.ts";
import { needsAction } from "../checks/report.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import { runChecks, type CheckResult } from "../checks/index.ts";
import { acquireRunLock } from "../plan/recover.ts";
import { lockMark } from "../os/lock.ts";
import { planInstall, readInstallFacts, stageLauncherCopy, type InstallPlan } from "./install-plan.ts";
import { discardStaged } from "../plan/staging.ts";
import { installedAsPlanned } from "./unchanged.ts";
import { previewPlan, renderPreviews, type StepPreview } from "../plan/render.ts";
import { changeParts, summaryLine } from "./summary.ts";
import { ApplyError } from "../plan/execute.ts";
import type { StepOutcome } from "../plan/steps.ts";
import { shellQuote as shq } from "../os/shell.ts";
import { diagnoseStart } from "../systemd/diagnose.ts";
import { environmentValues, runShowEnvironment, serviceEnvironment } from "../systemd/service-environment.ts";
import type { RunResult } from "../os/host.ts";
import { printFindings, stepPrinter } from "./transcript.ts";
import { interruptedOr } from "../plan/interrupt.ts";
import { applyInstallPlan } from "./first-start.ts";
import { ZSH_LINE } from "../completion/scripts.ts";
import { clientHint, clientOf } from "./client-hint.ts";

export interface InstallOptions {
  force?: boolean;
  dryRun?: boolean;
  /** skip the RootlessKit smoke test and overlay mount in the checks */
  skipSmokeTest?: boolean;
  /** asked with the rendered plan when a person is at the terminal; false cancels */
  confirm?: (planText: string) => Promise<boolean>;
  readyTimeoutMs?: number;
}

export interface InstallResult {
  command: "install";
  ok: boolean;
  changed: boolean;
  dryRun: boolean;
  unit: string;
  execStart: string[];
  steps: StepOutcome[] | { description: string; willChange: boolean; diff?: string }[];
  findings: Finding[];
}

/** --force turns a failed smoke test into a warning; every other error stays fatal. */
export function applyForce(findings: Finding[], force: boolean): Finding[] {
  if (!force) return findings;
  return findings.map((f) => (f.id.startsWith("rootlesskit.smoke") && f.level === "error" ? { ...f, level: "warning", message: `${f.message} (continuing because of --force)` } : f));
}

export async function install(ctx: RunContext, opts: InstallOptions = {}): Promise<InstallResult> {
  // a drop-in line systemd cannot read would silently not apply: refused before anything else
  await refuseBrokenDropIns(ctx.host, ctx.paths);
  // nothing to change, as files alone show: no checks, no plan, no process
  const same = opts.dryRun ? null : await installedAsPlanned(ctx.host, ctx.paths).catch(() => null);
  if (same) {
    ctx.reporter.info(`${CONTAINERD_UNIT} is installed, enabled and running; nothing changed.`);
    return { command: "install", ok: true, changed: false, dryRun: false, unit: same.unitFile, execStart: same.execStart, steps: [], findings: [] };
  }
  // the plan (and systemd's answers it needs) is made while the checks run; made again if another run held the lock since: `mark`
  const mark = await lockMark(ctx.host, ctx.paths);
  // show-environment, started at once for the checks' session probe
  const showEnvironment = runShowEnvironment(ctx.host);
  const early = readInstallFacts(ctx.host)
    .then((facts) => planWithPreviews(ctx, { readyTimeoutMs: opts.readyTimeoutMs, facts }))
    .catch(() => undefined); // a plan that fails (a symlink where the unit goes) is made again under the lock, which says why
  // the binary's copy (115 MB, written to disk) runs beside the checks instead of after them
  if (!opts.dryRun) await stageLauncherCopy(ctx.host, ctx.paths).catch(() => {});
  try {
    return await checkAndInstall(ctx, opts, early, mark, showEnvironment);
  } finally {
    await discardStaged(ctx.host);
  }
}

/** The plan and its previews (what each step would change). */
async function planWithPreviews(ctx: RunContext, opts: Parameters<typeof planInstall>[2]): Promise<{ plan: InstallPlan; previews: StepPreview[] }> {
  const plan = await planInstall(ctx.host, ctx.paths, opts);
  return { plan, previews: await previewPlan(ctx.host, plan.steps) };
}

async function checkAndInstall(ctx: RunContext, opts: InstallOptions, early: Promise<{ plan: InstallPlan; previews: StepPreview[] } | undefined>, mark: string, showEnvironment: Promise<RunResult>): Promise<InstallResult> {
  const { host, paths, reporter } = ctx;
  // the checks only read (and run RootlessKit in a throwaway namespace): they need no lock
  const checks: CheckResult = await runChecks(host, paths, { smokeTest: !opts.skipSmokeTest, showEnvironment });
  const findings = applyForce(checks.findings, Boolean(opts.force));
  printFindings(reporter, findings);
  if (checks.refused || findings.some(isFatal)) {
    const rootLines = gatherSudoLines(findings.filter(needsAction));
    throw new UserError(
      "the checks above found problems that stop the installation",
      findings.some((f) => f.id.startsWith("rootlesskit.smoke") && f.level === "error") ? "Fix them and run install again (--force continues past a failed RootlessKit test only)." : "Fix them and run install again.",
      1,
      rootLines.length ? rootLines : undefined,
    );
  }
  const lock = opts.dryRun
    ? null
    : await acquireRunLock(
        host,
        paths,
        {
          purpose: "install",
          since: mark,
          onWait: (h) => reporter.info(`Waiting for another run (pid ${h.pid}${h.purpose ? `: ${h.purpose}` : ""}) to finish`),
        },
        reporter,
      );
  // (staged copies of the binary a killed run left beside it went with the lock: plan/recover.ts)
  try {
    const { plan, previews } = (lock?.othersSince === false ? await early : undefined) ?? (await planWithPreviews(ctx, { readyTimeoutMs: opts.readyTimeoutMs }));
    if (plan.replacesForeignUnit) reporter.warn(`${plan.unitFile} was not created by this tool; it is replaced (the diff shows how) and kept as ${plan.replacesForeignUnit}`);
    const base = { command: "install" as const, ok: true, changed: false, dryRun: false, unit: plan.unitFile, execStart: plan.execStart, steps: [] as InstallResult["steps"], findings };
    if (opts.dryRun) {
      reporter.info("Dry run: this is the plan; nothing was changed.");
      reporter.plain(renderPreviews(previews));
      return { ...base, ok: true, changed: false, dryRun: true, steps: previews.map(({ label, detail, effect, willChange, diff }) => ({ description: label, detail, effect, willChange, diff })) };
    }
    if (opts.confirm && previews.some((p) => p.willChange) && !(await opts.confirm(renderPreviews(previews)))) {
      throw new UserError("cancelled; nothing was changed");
    }

    let result;
    try {
      result = await applyInstallPlan(host, plan.steps, plan.launcherDirs, {
        onEvent: stepPrinter(reporter, previews),
        signal: ctx.signal,
        beforeRollback: async (f) => {
          if (f.cancelled || (f.step.kind !== "wait" && !(f.step.kind === "systemctl" && /start/.test(f.step.args[0]!)))) return undefined;
          // without its manager the service's environment cannot be read: the launcher's checks would only miss XDG_RUNTIME_DIR
          if (await managerGone(host, `${f.reason ?? ""}\n${f.output ?? ""}`)) return diagnoseStart(host, CONTAINERD_UNIT);
          return diagnoseStart(host, CONTAINERD_UNIT, { argv: plan.execStart, env: environmentValues(await serviceEnvironment(host, paths)) });
        },
      });
    } catch (e) {
      if (!(e instanceof ApplyError) || e.failure.cancelled) throw interruptedOr(e);
      // a job canceled by a manager going down says only "canceled": systemctl status, asked for the diagnosis, then cannot connect
      const gone = await managerGone(host, `${e.message}\n${e.failure.output ?? ""}\n${e.diagnostics ?? ""}`);
      throw new UserError(
        [...(gone ? [`the systemd user manager stopped during the run (systemctl --user cannot reach it${managerSocket(host) ? `: nothing answers on ${managerSocket(host)}` : ""})`] : []), `${failedStep(e, plan.steps.length)}: ${e.failure.step.kind === "wait" ? e.failure.reason : e.message}`, ...(e.failure.output ? [e.failure.output] : []), ...(e.diagnostics ? ["", e.diagnostics] : []), "", e.rolledBack.length ? `Undone: ${e.rolledBack.join("; ")}.` : "Nothing had been changed."].join("\n"),
        gone
          ? `Once your user manager runs again (log in again; as root: \`systemctl start user@${host.uid}.service\`), run install again: it finishes or rolls back what is left.`
          : "Fix the cause shown above and run install again.",
      );
    }

    if (!result.changed) {
      reporter.info(`${CONTAINERD_UNIT} is installed, enabled and running; nothing changed.`);
    } else {
      reporter.info(`Installed ${CONTAINERD_UNIT} successfully.`);
      reporter.info(`To control ${CONTAINERD_UNIT}, run: \`systemctl --user (start|stop|restart) ${CONTAINERD_UNIT}\``);
      if (!checks.facts.linger) reporter.info(`To run ${CONTAINERD_UNIT} on system startup, run: \`sudo loginctl enable-linger ${shq(checks.facts.user)}\``);
      reporter.plain("");
      for (const line of clientHint(await clientOf(host, paths), paths, host.env.HOME)) reporter.info(line);
      reporter.info(`Shell completion for bash and fish is installed; for zsh, add to ~/.zshrc: ${ZSH_LINE}`);
      reporter.info(`Summary: ${summaryLine(changeParts({ steps: plan.steps, previews, home: host.env.HOME }))}.`);
    }
    return { ...base, ok: true, changed: result.changed, dryRun: false, steps: result.steps };
  } finally {
    await lock?.release();
  }
}

/** Names the step that failed: the start of containerd, or which other step (a copy, a write) and where in the plan. */
function failedStep(e: ApplyError, total: number): string {
  const step = e.failure.step;
  const starting = step.kind === "wait" || (step.kind === "systemctl" && /start/.test(step.args[0] ?? ""));
  return starting ? `${CONTAINERD_UNIT} did not come up (step ${e.failure.index + 1} of ${total})` : `install failed at step ${e.failure.index + 1} of ${total}`;
}
