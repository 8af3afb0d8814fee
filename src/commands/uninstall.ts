import { defineCommand } from "citty";
import { applyArgs, outputArgs, consent, runContext } from "./_shared.ts";
import { uninstall } from "../core/lifecycle/uninstall.ts";
import { runAddons } from "../core/lifecycle/addons.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

export const examples = [
  "containerd-rootless-systemd uninstall buildkit stargz --yes   # add-ons by name",
  "containerd-rootless-systemd uninstall --yes           # images, containers and config are kept",
  "containerd-rootless-systemd uninstall --yes --purge   # also remove them",
  "containerd-rootless-systemd uninstall --dry-run",
];

export default defineCommand({
  meta: { name: "uninstall", description: "Stop and remove the services this tool installed (images and containers are kept unless --purge)" },
  args: {
    addons: { type: "positional", required: false, description: "Add-ons to uninstall instead of containerd itself (see `plugins`), e.g. buildkit stargz" },
    ...outputArgs,
    ...applyArgs,
    purge: { type: "boolean", description: "Also remove images, containers and containerd's config (from inside the user namespace)" },
  },
  async run({ args, data }) {
    const ctx = runContext(data, args);
    const confirm = consent(ctx, args);
    if (args._.length > 0) {
      ctx.reporter.result(await runAddons(ctx, args._.map(String), "uninstall", { dryRun: args["dry-run"], confirm }));
      return 0;
    }
    const result = await uninstall(ctx, {
      purge: args.purge,
      dryRun: args["dry-run"],
      confirm,
    });
    ctx.reporter.result(result);
    return 0;
  },
});
