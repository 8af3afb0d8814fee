// What a probe concludes. A finding is a fact about the machine, with the fix when
// something is wrong. Fixes that need root are kept apart (sudoFix) so they can be
// gathered into one copy-paste block.

export type Level = "ok" | "info" | "warning" | "error";

export interface Finding {
  /** stable identifier, e.g. "subuid.missing"; tests and --json consumers key on it */
  id: string;
  level: Level;
  message: string;
  /** what the user types to fix it (without root) */
  fix?: string;
  /** shell lines that need root; gathered into one `sudo sh -eux` block */
  sudoFix?: string[];
  /** what to do once the root lines have run (shown after them, never before) */
  then?: string;
  /** extra text worth showing, such as a tool's own error output */
  detail?: string;
}

export const isFatal = (f: Finding): boolean => f.level === "error";

export function ok(id: string, message: string): Finding {
  return { id, level: "ok", message };
}

/** Every distinct root-needing line, in first-seen order. */
export function gatherSudoLines(findings: readonly Finding[]): string[] {
  const seen = new Set<string>();
  for (const f of findings) for (const line of f.sudoFix ?? []) seen.add(line);
  return [...seen];
}

/** The copy-paste block for shell lines that need root, or "" when there are none. */
export function sudoBlock(lines: readonly string[]): string {
  return lines.length ? ["sudo sh -eux <<'EOF'", ...lines, "EOF"].join("\n") : "";
}

/** The one block for every fix the findings need root for. */
export function renderSudoBlock(findings: readonly Finding[]): string {
  return sudoBlock(gatherSudoLines(findings));
}
