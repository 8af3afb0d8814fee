import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { rollback, selfUpdate } from "../core/release/self-update.ts";

export const examples = [
  "containerd-rootless-systemd self-update --check       # is there a newer release?",
  "containerd-rootless-systemd self-update --yes",
  "containerd-rootless-systemd self-update --version 0.2.0 --yes   # that release, even an older one (it says it is going back)",
  "containerd-rootless-systemd self-update --from ./release --yes   # a release directory or URL",
  "containerd-rootless-systemd self-update --rollback    # back to the version before the last update",
];

export default defineCommand({
  meta: { name: "self-update", description: "Replace this binary with a signed release (checksums and signature verified); --rollback undoes it" },
  args: {
    ...outputArgs,
    version: { type: "string", description: "The release to install (default: the latest, and only when it is newer; naming an older one goes back to it)", valueHint: "V" },
    from: { type: "string", description: "A release's base URL or a local release directory, instead of the project's releases", valueHint: "URL|DIR" },
    check: { type: "boolean", description: "Only say whether a newer release is available (an older one never is)" },
    yes: { type: "boolean", alias: ["y"], description: "Do not ask before replacing the binary" },
    rollback: { type: "boolean", description: "Restore the binary self-update replaced last (NAME.old)" },
  },
  async run({ args, data }) {
    const ctx = runContext(data, args);
    if (args.rollback) {
      ctx.reporter.result(await rollback(ctx));
      return 0;
    }
    const confirm = args.yes
      ? undefined
      : async (question: string) => {
          if (!ctx.host.stdinIsTTY) throw new UsageError("not a terminal; pass --yes to replace the binary", "Re-run with --yes, or --check to only look. Nothing was changed.");
          return /^y(es)?$/i.test((await ctx.host.ask(question)).trim());
        };
    ctx.reporter.result(await selfUpdate(ctx, { version: args.version, from: args.from, check: args.check, confirm, arch: process.arch }));
    return 0;
  },
});
