import { defineCommand } from "citty";
import { runContext } from "./_shared.ts";
import { UsageError, UserError } from "../core/os/errors.ts";
import { nsenterArgv } from "../core/rootlesskit/nsenter.ts";
import { serviceStateDir } from "../core/containerd/ready.ts";
import { nsenterWhenReady, waitOption } from "../core/rootlesskit/namespace-ready.ts";
import { execve, redirectOutput } from "../launcher/exec.ts";
import { discardedOutputLog } from "../core/systemd/unit-log.ts";

export const usage = "[--wait=SECONDS] -- COMMAND [ARG...]";

export const examples = [
  "containerd-rootless-systemd nsenter -- ctr version",
  "containerd-rootless-systemd nsenter -- ls -l /var/lib/containerd",
  "containerd-rootless-systemd nsenter -- sh     # a shell inside the namespace",
  "containerd-rootless-systemd nsenter --wait=60 -- buildkitd   # wait for a containerd that is starting (add-on units)",
];

export default defineCommand({
  meta: { name: "nsenter", description: "Run a command inside rootless containerd's namespaces (its exit code is returned)" },
  args: {
    wait: { type: "string", description: "Wait up to SECONDS for a containerd that is still starting (the add-on units use this)", valueHint: "SECONDS" },
  },
  async run({ args, rawArgs, data }) {
    const { host, paths } = runContext(data, {});
    // an add-on unit without a journal: its output (the daemon's, and ours while it waits) goes to its log
    const log = await discardedOutputLog(host, paths);
    if (log) redirectOutput(log);
    const dash = rawArgs.indexOf("--");
    const cmd = dash === -1 ? rawArgs : rawArgs.slice(dash + 1);
    if (cmd.length === 0) throw new UsageError("no command given", "Example: containerd-rootless-systemd nsenter -- ctr version");
    // --wait=SECONDS (what add-on units run): wait for a containerd that is still starting
    const waitMs = waitOption(args.wait);
    const stateDir = await serviceStateDir(host, paths);
    const ns = waitMs === undefined ? await nsenterArgv(host, paths, cmd, stateDir) : await nsenterWhenReady(host, paths, cmd, stateDir, waitMs);
    // replace this process (same PID): a unit's main process is then the daemon itself
    const failure = execve(ns.argv, { ...host.env, ...ns.env });
    throw new UserError(`cannot run ${ns.argv[0]}: ${failure}`);
  },
});
