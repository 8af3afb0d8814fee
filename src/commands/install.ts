import { defineCommand } from "citty";
import { applyArgs, outputArgs, consent, runContext, verifyArgs, endWithVerify } from "./_shared.ts";
import { install } from "../core/lifecycle/install.ts";
import { optionsFromFlags, runAddons } from "../core/lifecycle/addons.ts";
import { plugins } from "../plugins/registry.ts";
import { installComponents } from "../core/components/actions.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

export const examples = [
  "containerd-rootless-systemd install buildkit stargz --yes   # add-ons by name",
  "containerd-rootless-systemd install buildkit --worker=containerd --namespace=default --yes",
  "containerd-rootless-systemd install --yes",
  "containerd-rootless-systemd install --components --yes   # fetch nerdctl-full first and run containerd from it",
  "containerd-rootless-systemd install --dry-run      # show the plan with diffs, change nothing",
  "containerd-rootless-systemd install --yes --json   # { changed, steps, ... }",
];

export const completions = { addons: () => plugins().map((p) => p.id) };

export default defineCommand({
  meta: { name: "install", description: "Install rootless containerd as a systemd user service (containerd.service)" },
  args: {
    addons: { type: "positional", required: false, description: "Add-ons to install instead of containerd itself (see `plugins`), e.g. buildkit stargz" },
    ...outputArgs,
    ...applyArgs,
    ...verifyArgs,
    force: { type: "boolean", description: "Continue even when the RootlessKit functionality test fails" },
    "skip-smoke-test": { type: "boolean", description: "Do not run RootlessKit during the checks" },
    worker: { type: "string", description: "With buildkit: its worker, oci (default) or containerd", valueHint: "oci|containerd" },
    namespace: { type: "string", description: "With buildkit --worker=containerd: the containerd namespace (unit NS-buildkit.service)" },
    components: { type: "boolean", description: "First fetch, verify and activate the nerdctl-full bundle, and run containerd from it (see `components`)" },
    "components-version": { type: "string", description: "With --components: the nerdctl-full version" },
    "components-from": { type: "string", description: "With --components: a mirror URL or a local tarball" },
    "components-sha256": { type: "string", description: "With --components: the tarball's expected SHA-256" },
    "insecure-http": { type: "boolean", description: "With --components-from: allow a plain http:// mirror" },
  },
  async run({ args, rawArgs, data }) {
    const ctx = runContext(data, args);
    const confirm = consent(ctx, args);
    const options = optionsFromFlags(args._.map(String), { worker: args.worker, namespace: args.namespace });
    if (args._.length > 0) {
      const added = await runAddons(ctx, args._.map(String), "install", { dryRun: args["dry-run"], confirm, options });
      return endWithVerify(ctx, rawArgs, "install", added, added.changed && !args["dry-run"]);
    }
    const bundle = { version: args["components-version"], from: args["components-from"], sha256: args["components-sha256"], insecureHttp: args["insecure-http"] };
    if (args.components || Object.values(bundle).some((v) => v !== undefined)) {
      if (args["dry-run"]) ctx.reporter.info(`Dry run: the nerdctl-full bundle (${bundle.version ?? bundle.from ?? "default version"}) would be fetched, verified and activated first`);
      else await installComponents(ctx, bundle);
    }
    const result = await install(ctx, {
      force: args.force,
      dryRun: args["dry-run"],
      skipSmokeTest: args["skip-smoke-test"],
      confirm,
    });
    return endWithVerify(ctx, rawArgs, "install", result, result.changed && !result.dryRun);
  },
});
