// A plan is the list of steps a command will take. It can be rendered (with diffs) for
// --dry-run and review (render.ts), then applied with a journal so a failure rolls back
// what this run did (execute.ts). Step kinds are shared by the lifecycle commands and
// every add-on: a plugin returns Step[] and the same apply runs them.
import type { Host } from "../os/host.ts";
import { shellLine } from "../os/shell.ts";

/** A condition polled until true or the deadline (never a fixed sleep). */
export interface WaitStep {
  kind: "wait";
  /** what is awaited, for humans: "the containerd API" */
  what: string;
  timeoutMs: number;
  /** how often to poll (default 25 ms) */
  everyMs?: number;
  ready: (host: Host) => Promise<boolean>;
  /** a reason to stop waiting early (e.g. the unit failed); polled with `ready` */
  failed?: (host: Host) => Promise<string | undefined>;
  /** on failure: the state and last output of what was awaited (e.g. the unit's status and the probe's answer) */
  explain?: (host: Host) => Promise<string | undefined>;
  /** must hold after the plan's last containerd restart (an add-on that restarts with containerd); composed plans move it there */
  afterContainerdRestart?: boolean;
  why?: string;
}

export type Step =
  /** a file with this exact content; unchanged when identical. `backupTo` keeps the old content. `noDiff`: a generated file (a completion script) shown without its diff in plans. */
  | { kind: "write"; path: string; content: string; mode?: number; backupTo?: string; why?: string; noDiff?: boolean }
  /** a copy of a file (the binary itself); unchanged when the bytes are identical */
  | { kind: "copy"; from: string; path: string; mode?: number; why?: string }
  | { kind: "mkdir"; path: string; mode?: number; why?: string }
  /** a file (or, with `recursive`, a tree we own); unchanged when absent. Irreversible when recursive. */
  | { kind: "remove"; path: string; recursive?: boolean; why?: string; noDiff?: boolean }
  /**
   * `systemctl --user ARGS`; `undo` runs on rollback. `undoLate`: after files are restored and systemd
   * reloaded (the default for an undo that brings a unit up: start, restart, enable). `undoWait`: after
   * the undo, polled until the unit answers again (e.g. the containerd API), so the rollback ends with it back.
   */
  | { kind: "systemctl"; args: string[]; undo?: string[]; undoLate?: boolean; undoWait?: WaitStep; why?: string }
  /** any program; `undo` is another argv */
  | { kind: "run"; argv: string[]; undo?: string[]; env?: Record<string, string>; timeoutMs?: number; why?: string }
  /** a tree owned by sub-UIDs, removed from inside the user namespace by `argv`; unchanged when absent */
  | { kind: "remove-tree-in-namespace"; path: string; argv: string[]; why?: string }
  | WaitStep;

export type StepKind = Step["kind"];

/** What one applied step did. */
export interface StepOutcome {
  kind: StepKind;
  description: string;
  changed: boolean;
  /** the path or command the step is about */
  target: string;
  /** milliseconds spent */
  ms: number;
}

export interface ApplyResult {
  changed: boolean;
  steps: StepOutcome[];
}


/** The path or command a step is about. */
export function stepTarget(step: Step): string {
  switch (step.kind) {
    case "write":
    case "copy":
    case "mkdir":
    case "remove":
    case "remove-tree-in-namespace":
      return step.path;
    case "systemctl":
      return shellLine(["systemctl", "--user", ...step.args]);
    case "run":
      return shellLine(step.argv);
    case "wait":
      return step.what;
  }
}

/** One line saying what the step does, before knowing whether it changes anything. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "write":
      return `Write ${step.path}`;
    case "copy":
      return `Copy ${step.from} to ${step.path}`;
    case "mkdir":
      return `Create directory ${step.path}`;
    case "remove":
      return `Remove ${step.path}${step.recursive ? " (and everything in it)" : ""}`;
    case "remove-tree-in-namespace":
      return `Remove ${step.path} from inside the user namespace: ${shellLine(step.argv)}`;
    case "systemctl":
    case "run":
      return `Run ${stepTarget(step)}`;
    case "wait":
      return `Wait until ${step.what} answers (at most ${Math.round(step.timeoutMs / 1000)} s)`;
  }
}
