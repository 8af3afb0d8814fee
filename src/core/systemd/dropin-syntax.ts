// Lines of containerd.service's drop-ins (override.conf and the others) that systemd cannot
// read. systemd only logs them and goes on (an ignored line, or a unit that does not load),
// so a setting there silently does not apply; install and configure refuse them up front,
// naming the file and line, before any change. The rules are those of systemd's
// src/shared/conf-parser.c (parse_line: "Invalid section header", "Assignment outside of
// section", "Missing '='") and config_parse_environ in src/core/load-fragment.c ("Invalid
// syntax" for an unterminated quote or a bad escape, "Invalid environment assignment").
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { parseEnvironmentValue, readDropIns, type DropInFile } from "../rootlesskit/dropin.ts";

export interface DropInProblem {
  path: string;
  /** 1-based line number of the (first physical) line */
  line: number;
  text: string;
  why: string;
}

/** What systemd would not read in one drop-in, line by line. */
export function dropInProblems(file: DropInFile): DropInProblem[] {
  const physical = file.text.split("\n");
  const out: DropInProblem[] = [];
  let section: string | null = null;
  for (let i = 0; i < physical.length; i++) {
    const first = i;
    let text = physical[i]!.replace(/\r$/, "");
    if (/^\s*([#;].*)?$/.test(text)) continue;
    while (/\\\s*$/.test(text) && i + 1 < physical.length) {
      const next = physical[++i]!.replace(/\r$/, "");
      if (!/^\s*[#;]/.test(next)) text = text.replace(/\\\s*$/, " ") + next;
    }
    const problem = (why: string) => out.push({ path: file.path, line: first + 1, text: text.trim(), why });
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) {
      if (/^\[[^\]]+\]$/.test(trimmed)) section = trimmed.slice(1, -1);
      else problem("an invalid section header (systemd does not load the unit)");
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq === -1) {
      problem("no `=` (systemd ignores the line)");
      continue;
    }
    if (section === null) {
      problem("an assignment outside of any section (systemd ignores it; put it under [Service])");
      continue;
    }
    if (section === "Service" && /^Environment\s*$/.test(trimmed.slice(0, eq))) {
      const bad = parseEnvironmentValue(trimmed.slice(eq + 1)).filter((a) => a.name === "");
      if (bad.length) problem(`\`${bad[0]!.raw}\` is not a NAME=VALUE assignment systemd can read: an unterminated quote, an invalid escape or an invalid name (systemd ignores it)`);
    }
  }
  return out;
}

/** Throws a UserError naming every unreadable line of containerd.service's drop-ins; touches nothing. */
export async function refuseBrokenDropIns(host: Host, paths: Paths): Promise<void> {
  const problems = (await readDropIns(host, paths)).flatMap(dropInProblems);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `${p.path}, line ${p.line}: ${p.why}:\n    ${p.text}`);
  const files = [...new Set(problems.map((p) => p.path))];
  throw new UserError(
    `systemd cannot read ${problems.length === 1 ? "a line" : `${problems.length} lines`} of ${CONTAINERD_UNIT}'s drop-in${files.length === 1 ? "" : "s"}; nothing was changed:\n${lines.join("\n")}`,
    `Fix or remove ${problems.length === 1 ? "that line" : "those lines"} (\`${files.map((f) => `$EDITOR ${f}`).join("`, `")}\`), then run the command again; \`systemctl --user cat ${CONTAINERD_UNIT}\` shows what systemd reads.`,
  );
}
