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
  /** what it reports once the condition holds ("… after 0.42 s"); default "<what> answered" */
  settled?: string;
  ready: (host: Host) => Promise<boolean>;
  /** a reason to stop waiting early (e.g. the unit failed); polled with `ready` */
  failed?: (host: Host) => Promise<string | undefined>;
  /** on failure: the state and last output of what was awaited (e.g. the unit's status and the probe's answer) */
  explain?: (host: Host) => Promise<string | undefined>;
  /** must hold after the plan's last containerd restart (an add-on that restarts with containerd); composed plans move it there */
  afterContainerdRestart?: boolean;
  /** the unit whose answer is awaited (an add-on's): a composed plan that removes the unit drops the wait */
  unit?: string;
  why?: string;
  note?: string;
}

/** Words every step may carry: `why` (the detail line under the label) and `note`, a short
 * qualifier appended to the label in parentheses ("MTU 1500"). The label itself is derived in label.ts. */
interface Words {
  why?: string;
  note?: string;
}

export type Step =
  /** a file with this exact content; unchanged when identical. `backupTo` keeps the old content. `noDiff`: a generated file (a completion script) shown without its diff in plans. */
  | ({ kind: "write"; path: string; content: string; mode?: number; backupTo?: string; noDiff?: boolean } & Words)
  /** a copy of a file (the binary itself); unchanged when the bytes are identical */
  | ({ kind: "copy"; from: string; path: string; mode?: number; /** what is copied, for the label ("the binary"); the source path otherwise */ what?: string } & Words)
  | ({ kind: "mkdir"; path: string; mode?: number } & Words)
  /** a symbolic link at `path` holding `target`; `enables`: the unit it enables (systemd's WantedBy= link), for its label */
  | ({ kind: "link"; path: string; target: string; enables?: string } & Words)
  /**
   * a file (or, with `recursive`, a tree we own); unchanged when absent. Irreversible when recursive.
   * `restoreFrom`: a file identical to it (same size and mtime: the binary it was copied from); no
   * backup is kept — the undo copies that file back — and the unlink runs while the next steps do
   * (freeing 115 MB takes 20-130 ms on a file system that discards freed blocks).
   */
  | ({ kind: "remove"; path: string; recursive?: boolean; noDiff?: boolean; restoreFrom?: string; /** the unit whose enabling link this is, for its label */ disables?: string } & Words)
  /**
   * `systemctl --user ARGS`; `undo` runs on rollback. `undoLate`: after files are restored and systemd
   * reloaded (the default for an undo that brings a unit up: start, restart, enable). `undoWait`: after
   * the undo, polled until the unit answers again (e.g. the containerd API), so the rollback ends with it back.
   * `loadsUnit`: systemd loads the unit from its files for this step (the start of a unit it had not
   * loaded, instead of a daemon-reload), so a rollback that removes those files reloads systemd.
   * `unlessForgotten`: not run when systemd has none of these units loaded any more (it forgets a unit
   * that is down and that no loaded unit refers to): a daemon-reload that would only make it forget them.
   */
  | ({ kind: "systemctl"; args: string[]; undo?: string[]; undoLate?: boolean; undoWait?: WaitStep; loadsUnit?: boolean; unlessForgotten?: string[] } & Words)
  /** any program; `undo` is another argv */
  | ({ kind: "run"; argv: string[]; undo?: string[]; env?: Record<string, string>; timeoutMs?: number } & Words)
  /** a tree owned by sub-UIDs, removed from inside the user namespace by `argv`; unchanged when absent */
  | ({ kind: "remove-tree-in-namespace"; path: string; argv: string[] } & Words)
  | WaitStep;

export type StepKind = Step["kind"];

/** What one applied step did. */
export interface StepOutcome {
  kind: StepKind;
  /** the step's label (label.ts) */
  description: string;
  /** what happened: "Created /path", "/path is unchanged", "the containerd API answered after 0.31 s" */
  result: string;
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
    case "link":
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
