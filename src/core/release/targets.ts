// Which files self-update replaces, and whether the running service must restart afterwards.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT, unitPath } from "../os/paths.ts";
import type { RunContext } from "../plan/run-context.ts";

/** The running binary's file and the ~/.local/bin copy install made (once when they are the same file). */
export async function binaryTargets(host: Host, paths: Paths): Promise<string[]> {
  const self = (await host.realpath(host.execPath)) ?? host.execPath;
  const out = [self];
  const installed = paths.installedBinary;
  if ((await host.stat(installed))?.isFile && ((await host.realpath(installed)) ?? installed) !== self) out.push(installed);
  return out;
}

/**
 * The service runs the binary only to start (the launcher execs rootlesskit, then containerd:
 * no process of it stays), so a new binary needs no restart — unless the new version writes
 * a different unit. The new binary answers that itself: `install --dry-run --json` lists the
 * steps that would change.
 */
export async function serviceRestart(ctx: RunContext): Promise<"not-needed" | "needed" | "no-service" | "unknown"> {
  const { host, paths, reporter } = ctx;
  const unit = unitPath(paths, CONTAINERD_UNIT);
  if (!(await host.stat(unit))) {
    reporter.info(`No ${CONTAINERD_UNIT} is installed; nothing to restart.`);
    return "no-service";
  }
  const r = await host.run([paths.installedBinary, "install", "--dry-run", "--json", "--skip-smoke-test"], { timeoutMs: 120_000 });
  let steps: { description?: string; willChange?: boolean; diff?: string }[] | undefined;
  try {
    steps = JSON.parse(r.stdout).steps;
  } catch {
    steps = undefined;
  }
  if (!Array.isArray(steps)) {
    reporter.warn(`Could not tell whether the new version changes ${CONTAINERD_UNIT}: run \`${BINARY_NAME} install --dry-run\` to see, and \`${BINARY_NAME} install --yes\` to apply it.`);
    return "unknown";
  }
  const unitSteps = steps.filter((s) => s.willChange && `${s.description ?? ""}\n${s.diff ?? ""}`.includes(unit));
  if (unitSteps.length === 0) {
    reporter.info(`${CONTAINERD_UNIT} is unchanged by this version: the running service needs no restart.`);
    return "not-needed";
  }
  reporter.warn(`This version changes ${CONTAINERD_UNIT}: run \`${BINARY_NAME} install --yes\` to update the unit and restart the service.`);
  return "needed";
}
