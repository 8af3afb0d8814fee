import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";

export const examples = ["containerd-rootless-systemd check", "containerd-rootless-systemd check --json"];

export default defineCommand({
  meta: { name: "check", description: "Check whether rootless containerd can work here" },
  args: { ...outputArgs },
  async run({ args, data }) {
    const { reporter } = runContext(data, args);
    reporter.info("Checking RootlessKit functionality");
    return 0;
  },
});
