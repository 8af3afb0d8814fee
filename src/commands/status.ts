import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { collectStatus } from "../core/lifecycle/status.ts";
import { recoverIfIdle } from "../core/plan/recover.ts";
import { printStatus } from "../core/lifecycle/status-output.ts";
import { exportDesiredState, exportFormat } from "../core/desired-state/export.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

export const examples = ["containerd-rootless-systemd status", "containerd-rootless-systemd status --json | jq .units", "containerd-rootless-systemd status --export --format yaml > setup.yaml"];

export default defineCommand({
  meta: { name: "status", description: "Show the services, versions, RootlessKit settings, socket and snapshotters" },
  args: {
    ...outputArgs,
    export: { type: "boolean", description: "Print the current setup as a desired-state file for `apply -f` (see --format)" },
    format: { type: "string", description: "Format of --export: toml (default), yaml or json" },
  },
  async run({ args, data }) {
    const { host, paths, reporter } = runContext(data, args);
    if (args.format !== undefined && !args.export) throw new UsageError("--format goes with --export", "e.g. `status --export --format yaml`");
    if (args.export) {
      host.writeOut(await exportDesiredState(host, paths, exportFormat(args.format)));
      return 0;
    }
    await recoverIfIdle(host, paths, reporter); // an interrupted run is rolled back before its state is shown
    const report = await collectStatus(host, paths);
    if (reporter.json) reporter.result(report);
    else printStatus(reporter, report, await host.userName());
    return 0;
  },
});
