import { defineCommand } from "citty";
import { Host } from "../core/os/host.ts";
import { UsageError } from "../core/os/errors.ts";
import { shellLine } from "../core/os/shell.ts";
import { SHELLS, ZSH_LINE, completionScript, type Shell } from "../core/completion/scripts.ts";

export const usage = "bash|zsh|fish";
export const examples = [
  "containerd-rootless-systemd completion bash > ~/.local/share/bash-completion/completions/containerd-rootless-systemd",
  `echo '${ZSH_LINE}' >> ~/.zshrc`,
  "containerd-rootless-systemd completion fish > ~/.config/fish/completions/containerd-rootless-systemd.fish",
];

export default defineCommand({
  meta: { name: "completion", description: "Print the shell completion script (install writes the bash and fish ones itself)" },
  args: {
    shell: { type: "positional", required: true, description: "bash, zsh or fish" },
  },
  async run({ args, data }) {
    const host = (data as { host?: Host } | undefined)?.host ?? new Host();
    const shell = String(args.shell);
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`no completion for shell "${shell}"`, `Choose one of: ${SHELLS.join(", ")}.`);
    const exe = host.scriptPath ? [host.execPath, host.scriptPath] : [(await host.realpath(host.execPath)) ?? host.execPath];
    host.writeOut(completionScript(shell as Shell, shellLine(exe)));
    return 0;
  },
});
