// `verify`: prove that containers work here (core/verify): a container starts, has network, DNS
// and published ports, limits are enforced, ping and ports below 1024 where the sysctls allow
// them, each add-on does its job. Thin: parse, run the engine, report.
import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { runVerify } from "../core/verify/run.ts";
import { reportVerify } from "../core/verify/report.ts";
import { parseRegistry } from "../core/verify/probes/registry.ts";
import "../plugins/index.ts"; // every add-on registers itself: the installed ones are verified too

export const examples = [
  "containerd-rootless-systemd verify",
  "containerd-rootless-systemd verify --registry 127.0.0.1:5000   # can pulls reach a registry on this machine's loopback?",
  "containerd-rootless-systemd verify --json | jq '.probes[] | select(.status != \"pass\")'",
  "containerd-rootless-systemd verify --keep   # keep the throwaway image and containers to look at",
];

export default defineCommand({
  meta: { name: "verify", description: "Prove that containers work: one starts and has network, DNS, published ports, limits, ping; each add-on works; nothing is left behind" },
  args: {
    registry: { type: "string", description: "Also check that pulls reach the registry at HOST:PORT (e.g. one on 127.0.0.1)", valueHint: "HOST:PORT" },
    keep: { type: "boolean", description: "Keep the throwaway image and stopped containers for inspection (the next verify removes them)" },
    ...outputArgs,
  },
  async run({ args, data }) {
    const ctx = runContext(data, args);
    if (args.registry !== undefined && !parseRegistry(args.registry)) throw new UsageError(`--registry ${args.registry}: not HOST:PORT`, "e.g. --registry 127.0.0.1:5000 or --registry registry.example.com:443");
    const report = await runVerify(ctx.host, ctx.paths, { registry: args.registry, keep: args.keep, signal: ctx.signal });
    const code = reportVerify(ctx.reporter, report);
    return report.cancelled ? 130 : code;
  },
});
