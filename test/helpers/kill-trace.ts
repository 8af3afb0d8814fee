// Which moments inside a command's steps the fault matrix kills at. A complete run with
// CRS_TEST_KILL_INSIDE=trace (src/core/os/kill-points.ts) reports every arrival at a kill point,
// numbered as a kill counts them, with the file or step it is at; each arrival gets a kind, and
// the matrix kills at the first arrival of each kind no earlier matrix of the file killed at.
// Two arrivals are of one kind when a kill there leaves the same sort of thing for the next run:
// the same point in the same kind of step (a unit started, restarted or stopped; a write with a
// backup) on the same sort of file (the journal's first, last or an in-between write; a new file,
// one in a directory the run made, a replaced one, a backup, a copy, a file moved aside). An
// in-between journal write killed before its rename is one kind whatever its step: the journal
// before it is what the next run finds.
import { TRACE_PREFIX } from "../../src/core/os/kill-points.ts";

export interface Arrival {
  point: string;
  /** the Nth arrival at `point` (CRS_TEST_KILL_INSIDE=POINT:N kills there) */
  n: number;
  what: string;
  kind: string;
}

const IRREVERSIBLE = new Set(["remove a tree", "remove-tree-in-namespace"]);

/** The arrivals a traced run wrote to `stderr`, in order, each with its kind. `journal`: the journal's path. */
export function traceArrivals(stderr: string, journal: string): Arrival[] {
  const lines = stderr
    .split("\n")
    .filter((l) => l.startsWith(`${TRACE_PREFIX} `))
    .map((l) => {
      const [, point, n, ...what] = l.split(" ");
      return { point: point!, n: Number(n), what: what.join(" ") };
    });
  // after the journal's last write the plan is over (install goes on to verify that containers run): no step is left to kill inside
  const end = lines.findLastIndex((a) => a.what.split(" (")[0] === journal);
  lines.splice(end + 1);
  const out: Arrival[] = [];
  const journalSeen = new Set<string>();
  let pending: typeof lines = [];
  let previous = ""; // the kind of the step finished last
  // an arrival belongs to the step whose step-done comes next (after the last one: the run's end)
  const flush = (step: string) => {
    for (const a of pending) {
      const [path, flags] = [a.what.split(" (")[0], /\((.*)\)$/.exec(a.what)?.[1] ?? ""];
      let file: string;
      if (path === journal) {
        file = !journalSeen.has(a.point) ? "the journal's first write" : step === "the run's end" ? "the journal's last write" : IRREVERSIBLE.has(previous) ? "the journal's write after an irreversible step" : "the journal's write";
        journalSeen.add(a.point);
      } else if (path!.includes("/backups/")) file = "a backup";
      else file = flags.startsWith("moved aside") ? "a file moved aside" : flags;
      // a journal written but not renamed leaves the one before it in place: whatever step it was for, the next run sees the same;
      // a file written before the journal's first write is the checks' (containerd validating a planned config), not a step's
      const where = step === "the run's end" ? step : a.point === "written" && file === "the journal's write" ? "a step" : journalSeen.size === 0 ? "the checks before the first change" : `a step "${step}"`;
      out.push({ ...a, kind: `${a.point}: ${file}, in ${where}` });
    }
    pending = [];
  };
  for (const a of lines) {
    if (a.point !== "step-done") {
      pending.push(a);
      continue;
    }
    flush(a.what);
    out.push({ ...a, kind: `step-done: a step "${a.what}"` });
    previous = a.what;
  }
  flush("the run's end");
  return out;
}

/** The kinds killed at so far, by every matrix of this test file (one of each is enough). */
const covered = new Set<string>();

/** The arrivals at `point` to kill at: the first of each kind not killed at yet (marked killed now). */
export function pickArrivals(arrivals: Arrival[], point: string): Arrival[] {
  const picks: Arrival[] = [];
  for (const a of arrivals) {
    if (a.point !== point || covered.has(a.kind)) continue;
    covered.add(a.kind);
    picks.push(a);
  }
  return picks;
}
