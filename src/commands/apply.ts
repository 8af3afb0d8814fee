// `apply -f FILE`: converge to a desired-state file (TOML, YAML or JSON; `-` reads stdin).
// Thin: read and validate the file, let the engine decide and apply, report.
import { defineCommand } from "citty";
import { applyArgs, outputArgs, consent, runContext, verifyArgs, endWithVerify } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { readDesiredState } from "../core/desired-state/parse.ts";
import { runApply } from "../core/desired-state/apply.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

export const examples = [
  "containerd-rootless-systemd apply -f examples/rootless.toml --dry-run",
  "containerd-rootless-systemd apply -f examples/minimal.toml --yes --json   # { changed, items: [...] }",
  "containerd-rootless-systemd status --export --format yaml > setup.yaml   # then, on another machine:",
  "containerd-rootless-systemd apply -f setup.yaml --yes",
  "cat setup.json | containerd-rootless-systemd apply -f - --yes",
];

export default defineCommand({
  meta: { name: "apply", description: "Converge to a desired-state file (add-ons, RootlessKit settings, snapshotter); idempotent" },
  args: {
    file: { type: "string", alias: ["f"], description: "The desired-state file: .toml, .yaml/.yml or .json (`-` reads stdin); see examples/" },
    ...applyArgs,
    ...verifyArgs,
    ...outputArgs,
  },
  async run({ args, rawArgs, data }) {
    const ctx = runContext(data, args);
    const file = args.file;
    if (!file) throw new UsageError("-f/--file is required", "Name the desired-state file, e.g. `apply -f examples/minimal.toml --dry-run`.");
    const parsed = await readDesiredState(ctx.host, file);
    const confirm = consent(ctx, args);
    if (confirm) {
      // a person at the terminal sees the plan first
      await runApply(ctx, parsed, { dryRun: true });
      if (!(await confirm(""))) {
        ctx.reporter.info("Nothing was changed.");
        return 0;
      }
    }
    const report = await runApply(ctx, parsed, { dryRun: args["dry-run"] });
    // a file that leaves containerd installed is proven by containers once it changed something
    return endWithVerify(ctx, rawArgs, "apply", report, report.changed && !args["dry-run"] && parsed.state.containerd?.installed !== false);
  },
});
