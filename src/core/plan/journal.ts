// The durable journal of a run that changes things: before its first change the run writes
// what it will do (every step) and, before each change, how to undo it; each finished step is
// recorded. The file ($XDG_DATA_HOME/containerd-rootless-systemd/journal.json, 0600 in a 0700
// directory) is replaced durably on every update, so after a SIGKILL or a power loss the next
// run finds exactly what was interrupted (recover.ts). A run that ends — done, or rolled back
// by itself — removes it. A finished step is recorded with the next write (the next change's
// undo) rather than in a write of its own, except where recovery decides on it: the last step
// (finished: roll forward) and an irreversible one (roll forward from there). Each write costs
// two fsyncs; a step not yet recorded as finished is rolled back with the rest, as it would be.
import { dirname, join } from "node:path";
import type { Host } from "../os/host.ts";
import { resolvePaths, type Paths } from "../os/paths.ts";
import { requirePrivateDir } from "../os/private-dir.ts";
import type { Step } from "./steps.ts";
import { removeEmptyDirs, type Undo, type UndoRecord } from "./undo.ts";

export interface JournalDoc {
  version: 1;
  pid: number;
  command: string;
  startedAt: string;
  /** every step of the plan, as data (a wait keeps only what it waits for) */
  steps: { description: string; step: Step }[];
  /** per step index, written before that step changes anything */
  undo: Record<string, { description: string; record: UndoRecord }[]>;
  /** indexes of the finished steps */
  done: number[];
}

/** A step that cannot be undone: once it has finished, recovery rolls the run forward. */
export const irreversible = (s: Step) => (s.kind === "remove" && Boolean(s.recursive)) || s.kind === "remove-tree-in-namespace";

export const journalPath = (paths: Paths) => join(paths.stateDir, "journal.json");

/** The journal of this host's user (the state directory its paths name). */
export const defaultJournalPath = (host: Host) => journalPath(resolvePaths(host.env, host.uid));

/** Reads the journal: null when there is none, "corrupt" when it cannot be understood. */
export async function readJournal(host: Host, path: string): Promise<JournalDoc | "corrupt" | null> {
  const text = await host.readText(path);
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as JournalDoc;
    return doc?.version === 1 && Array.isArray(doc.steps) && Array.isArray(doc.done) && typeof doc.undo === "object" ? doc : "corrupt";
  } catch {
    return "corrupt";
  }
}

export class Journal {
  private doc: JournalDoc | null = null;
  private readonly finished: number[] = [];
  /** the directories the journal had to create (the state directory, its missing parents), removed again while empty */
  private readonly createdDirs = new Set<string>();

  constructor(
    private readonly host: Host,
    readonly path: string,
    private readonly steps: readonly { description: string; step: Step }[],
  ) {}

  /** Before step `index` changes anything: how to undo it (the journal begins with the first). */
  async willChange(index: number, undos: readonly Undo[]): Promise<void> {
    this.doc ??= {
      version: 1,
      pid: this.host.pid,
      command: this.host.commandLine || "a run",
      startedAt: new Date().toISOString(),
      steps: this.steps.map((s) => ({ description: s.description, step: JSON.parse(JSON.stringify(s.step)) as Step })),
      undo: {},
      done: [],
    };
    const entries = (this.doc.undo[String(index)] ??= []);
    entries.push(...undos.map((u) => ({ description: u.description, record: u.record })));
    await this.write();
  }

  /** Step `index` finished; written now when `recoveryNeedsIt` (see the top), else with the next write. */
  async done(index: number, recoveryNeedsIt: boolean): Promise<void> {
    this.finished.push(index);
    if (this.doc && recoveryNeedsIt) await this.write();
  }

  /** The run ended (done, or rolled back): nothing is left to recover. */
  async finish(): Promise<void> {
    if (!this.doc) return;
    await this.host.remove(this.path);
    await removeEmptyDirs(this.host, [...this.createdDirs]);
    this.doc = null;
  }

  private async write(): Promise<void> {
    const dir = dirname(this.path);
    // first write, or a step removed the state directory
    for (let d = dir; d !== "/" && !(await this.host.exists(d)); d = dirname(d)) this.createdDirs.add(d);
    await requirePrivateDir(this.host, dir, "the state directory", { create: true });
    this.doc!.done = [...this.finished];
    await this.host.writeFileAtomic(this.path, `${JSON.stringify(this.doc, null, 1)}\n`, 0o600);
  }
}
