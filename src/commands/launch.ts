// Hidden: the systemd unit's ExecStart. Outside RootlessKit it replaces itself with
// `rootlesskit … <this binary> launch`; inside (marked by the environment) it prepares the
// mounts and replaces itself with `containerd`. Arguments after `--` go to containerd.
import { defineCommand } from "citty";
import { runContext } from "./_shared.ts";
import { UserError } from "../core/os/errors.ts";
import { execve, redirectOutput } from "../launcher/exec.ts";
import { discardedOutputLog } from "../core/systemd/unit-log.ts";
import { planParent } from "../launcher/parent.ts";
import { isChild, planChild, prepareNamespace } from "../launcher/child.ts";
import { validateLaunch } from "../launcher/validate.ts";

export const examples = ["containerd-rootless-systemd launch", "containerd-rootless-systemd launch -- --config /path/to/config.toml"];

export default defineCommand({
  meta: { name: "launch", description: "Run rootless containerd in the foreground (the service's ExecStart)" },
  args: {
    validate: { type: "boolean", description: "Only check what the launcher would do (settings, paths, helpers, config.toml); start nothing" },
  },
  async run({ rawArgs, args, data }) {
    const { host, paths } = runContext(data, {});
    // containerd.service without a journal: RootlessKit's and containerd's output go to its log
    const log = args.validate ? null : await discardedOutputLog(host, paths);
    if (log) redirectOutput(log);
    const dash = rawArgs.indexOf("--");
    const extra = dash === -1 ? [] : rawArgs.slice(dash + 1);
    if (args.validate) {
      for (const line of await validateLaunch(host, paths)) host.writeOut(`[INFO] ${line}\n`);
      host.writeOut("[INFO] The launcher would start containerd with these settings.\n");
      return;
    }
    let plan;
    if (isChild(host)) {
      plan = await planChild(host, extra);
      await prepareNamespace(host, paths);
    } else {
      plan = await planParent(host, paths, extra);
      for (const note of plan.settings.notes) host.writeErr(`[INFO] ${note}\n`);
    }
    const failure = execve(plan.argv, plan.env);
    throw new UserError(`cannot start ${plan.argv[0]}: ${failure}`);
  },
});
