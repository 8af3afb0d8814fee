import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { collectStatus } from "../core/status.ts";
import { printStatus } from "../core/status-output.ts";

export const examples = ["containerd-rootless-systemd status", "containerd-rootless-systemd status --json | jq .units"];

export default defineCommand({
  meta: { name: "status", description: "Show the services, versions, RootlessKit settings, socket and snapshotters" },
  args: { ...outputArgs },
  async run({ args, data }) {
    const { host, paths, reporter } = runContext(data, args);
    const report = await collectStatus(host, paths);
    if (reporter.json) reporter.result(report);
    else printStatus(reporter, report);
    return 0;
  },
});
