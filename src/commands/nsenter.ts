import { defineCommand } from "citty";
import { runContext } from "./_shared.ts";
import { UsageError } from "../core/errors.ts";
import { nsenterArgv } from "../core/nsenter.ts";
import { serviceStateDir } from "../core/containerd-ready.ts";

export const examples = [
  "containerd-rootless-systemd nsenter -- ctr version",
  "containerd-rootless-systemd nsenter -- ls -l /var/lib/containerd",
  "containerd-rootless-systemd nsenter -- sh     # a shell inside the namespace",
];

export default defineCommand({
  meta: { name: "nsenter", description: "Run a command inside rootless containerd's namespaces (its exit code is returned)" },
  args: {},
  async run({ rawArgs, data }) {
    const { host, paths } = runContext(data, {});
    const dash = rawArgs.indexOf("--");
    const cmd = dash === -1 ? rawArgs : rawArgs.slice(dash + 1);
    if (cmd.length === 0) throw new UsageError("no command given", "Example: containerd-rootless-systemd nsenter -- ctr version");
    const ns = await nsenterArgv(host, paths, cmd, await serviceStateDir(host, paths));
    return host.runInherit(ns.argv, { env: ns.env });
  },
});
