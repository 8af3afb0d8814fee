// The shape every probe has: an id and a title, and a run that concludes with a verdict
// (outcome.ts) from what the session shares. One probe per file beside this one.
import type { Verdict } from "../outcome.ts";
import type { Session } from "../session.ts";
import type { AgentContainer } from "../containers.ts";

export interface Probe {
  id: string;
  title: string;
  run(s: Session): Promise<Verdict>;
}

/** The first lines of a program's error output (ctr's, runc's), for evidence. */
export function errorLines(text: string, max = 4): string {
  return text.trim().split("\n").filter(Boolean).slice(-max).join("\n");
}

/** Why a container gave no report: its ctr's exit and error, or the import that failed before it. */
export async function whyNoReport(s: Session, c: AgentContainer | null): Promise<string> {
  if (!c) return (await s.imported).detail;
  const r = await c.exited;
  return `ctr run: exit ${r.code}${r.stderr.trim() ? `: ${errorLines(r.stderr)}` : ""}`;
}
