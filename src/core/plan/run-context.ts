// The per-run context every command and the engine's entry points take: the Host (the only
// door to the OS), the resolved paths, the reporter, and the stop signal of a run that changes things.
import type { Host } from "../os/host.ts";
import { resolvePaths, type Paths } from "../os/paths.ts";
import { Reporter } from "./reporter.ts";
import { abortOnStopSignals } from "./interrupt.ts";
import { toolBinDirs } from "../components/store.ts";

export interface RunContext {
  host: Host;
  paths: Paths;
  reporter: Reporter;
  /**
   * Aborted by Ctrl+C, SIGTERM or SIGHUP; hand it to applyPlan so an interrupted run is rolled
   * back (interrupt.ts). Reading it starts the listening: read it where the changes
   * start, so before that (checks, the y/N question, read-only commands) a signal simply ends the run.
   */
  readonly signal?: AbortSignal;
}

/** What every command needs: the Host, the paths, the reporter and the run's stop signal. */
export function createRunContext(host: Host, output: { json?: boolean; verbose?: boolean }): RunContext {
  const reporter = new Reporter(host, { json: output.json, verbose: output.verbose });
  const paths = resolvePaths(host.env, host.uid);
  // the active nerdctl-full bundle's programs and ~/.local/bin come first, as on the units' PATH
  host.preferDirs = toolBinDirs(paths);
  let signal: AbortSignal | undefined;
  return {
    host,
    paths,
    reporter,
    get signal() {
      return (signal ??= abortOnStopSignals(host, reporter));
    },
  };
}

