// The seed's add-on verbs (install-buildkit, uninstall-stargz, ...): one command per verb,
// built here from the add-on's id; the work is src/core/lifecycle/addons.ts.
import { defineCommand, type ArgsDef } from "citty";
import { applyArgs, outputArgs, consent, runContext, verifyArgs, endWithVerify } from "./_shared.ts";
import { optionsFromFlags, runAddons, type AddonAction } from "../core/lifecycle/addons.ts";
import type { CommandModule } from "./index.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

const buildkitArgs = {
  worker: { type: "enum", description: "BuildKit worker: oci (default) or containerd", options: ["oci", "containerd"] },
  namespace: { type: "string", description: "containerd namespace for the containerd worker (unit NS-buildkit.service)" },
} as const satisfies ArgsDef;

export function addonCommand(id: string, verb: string, action: AddonAction): CommandModule {
  const name = `${action}-${verb}`;
  const withOptions = id === "buildkit" && action === "install";
  return {
    examples: [`containerd-rootless-systemd ${name} --yes`, `containerd-rootless-systemd ${name} --dry-run`, ...(withOptions ? [`containerd-rootless-systemd ${name} --yes --worker=containerd --namespace=default`] : [])],
    default: defineCommand({
      meta: { name, description: `${action === "install" ? "Install" : "Remove"} the ${verb} add-on` },
      args: { ...outputArgs, ...applyArgs, ...(action === "install" ? verifyArgs : {}), ...(withOptions ? buildkitArgs : {}) },
      async run({ args, rawArgs, data }) {
        const ctx = runContext(data, args);
        const confirm = consent(ctx, args);
        const { worker, namespace } = args as { worker?: string; namespace?: string };
        const result = await runAddons(ctx, [id], action, {
          dryRun: args["dry-run"],
          options: optionsFromFlags([id], { worker, namespace }),
          confirm,
        });
        // an added add-on is verified (its real job included); a removal is not
        return endWithVerify(ctx, rawArgs, name, result, action === "install" && result.changed && !result.dryRun);
      },
    }),
  };
}
