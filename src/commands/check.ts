import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { runChecks } from "../core/checks/index.ts";
import { reportChecks } from "../core/checks/report.ts";

export const examples = [
  "containerd-rootless-systemd check",
  "containerd-rootless-systemd check --verbose   # also list what is fine",
  "containerd-rootless-systemd check --json | jq '.findings[] | select(.level == \"error\")'",
];

export default defineCommand({
  meta: { name: "check", description: "Check whether rootless containerd can work here, and what to type to fix what is missing" },
  args: {
    ...outputArgs,
    "skip-smoke-test": { type: "boolean", description: "Do not run RootlessKit (the functionality test and the overlay mount)" },
  },
  async run({ args, data }) {
    const { host, paths, reporter } = runContext(data, args);
    const result = await runChecks(host, paths, { smokeTest: !args["skip-smoke-test"] });
    return reportChecks(reporter, result);
  },
});
