// Shell completion scripts (bash, zsh, fish), where install puts them, and the plan steps
// that write and remove them. The scripts come from @bomb.sh/tab: each asks the binary itself
// (`BINARY complete -- WORDS...`, the hidden command in src/commands/complete.ts) for the
// candidates, so they stay right when commands, add-ons or values change.
import { join } from "node:path";
import { RootCommand } from "@bomb.sh/tab";
import type { Host } from "../os/host.ts";
import { BINARY_NAME, type Paths } from "../os/paths.ts";
import type { Step } from "../plan/steps.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** The script for `shell` that runs `exe` (a shell word or words) for the candidates. */
export function completionScript(shell: Shell, exe: string): string {
  // tab prints the script with console.log; collect it instead
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(" "));
  try {
    new RootCommand().setup(BINARY_NAME, exe, shell);
  } finally {
    console.log = log;
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** What a zsh user adds to ~/.zshrc (zsh has no per-user completion directory everyone loads). */
export const ZSH_LINE = `source <(${BINARY_NAME} completion zsh)`;

/** The XDG places bash-completion and fish load per-user completions from. */
export function completionFiles(paths: Paths): { shell: Shell; path: string }[] {
  return [
    { shell: "bash", path: join(paths.dataHome, "bash-completion/completions", BINARY_NAME) },
    { shell: "fish", path: join(paths.configHome, "fish/completions", `${BINARY_NAME}.fish`) },
  ];
}

/** install: write the bash and fish completions (unchanged when identical). */
export function completionSteps(paths: Paths, exe: string): Step[] {
  return completionFiles(paths).map(({ shell, path }) => ({ kind: "write", path, content: completionScript(shell, exe), mode: 0o644, noDiff: true, why: `${shell} completion for ${BINARY_NAME}` }));
}

/** uninstall: remove the completion files install wrote (only ours: they call `complete --` on this binary). */
export async function completionRemovals(host: Host, paths: Paths): Promise<Step[]> {
  const steps: Step[] = [];
  for (const { shell, path } of completionFiles(paths)) {
    const text = await host.readText(path);
    if (text?.includes(`${BINARY_NAME}`) && text.includes("complete --")) steps.push({ kind: "remove", path, noDiff: true, why: `the ${shell} completion install wrote` });
  }
  return steps;
}
