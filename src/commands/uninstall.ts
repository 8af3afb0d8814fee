import { defineCommand } from "citty";
import { applyArgs, outputArgs, requireConsent, runContext } from "./_shared.ts";
import { uninstall } from "../core/uninstall.ts";

export const examples = [
  "containerd-rootless-systemd uninstall --yes           # images, containers and config are kept",
  "containerd-rootless-systemd uninstall --yes --purge   # also remove them",
  "containerd-rootless-systemd uninstall --dry-run",
];

export default defineCommand({
  meta: { name: "uninstall", description: "Stop and remove the services this tool installed (images and containers are kept unless --purge)" },
  args: {
    ...outputArgs,
    ...applyArgs,
    purge: { type: "boolean", description: "Also remove images, containers and containerd's config (from inside the user namespace)" },
  },
  async run({ args, data }) {
    const ctx = runContext(data, args);
    requireConsent(ctx.host, args);
    const interactive = !args.yes && !args["dry-run"] && ctx.host.stdinIsTTY;
    const result = await uninstall(ctx, {
      purge: args.purge,
      dryRun: args["dry-run"],
      confirm: interactive
        ? async (plan) => {
            ctx.reporter.plain(plan);
            return /^y(es)?$/i.test((await ctx.host.ask("Apply this plan? [y/N] ")).trim());
          }
        : undefined,
    });
    ctx.reporter.result(result);
    return 0;
  },
});
