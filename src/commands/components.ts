import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import "../plugins/index.ts"; // every add-on registers itself (the switch waits on their probes): the composition happens here, at the edge
import { UsageError } from "../core/os/errors.ts";
import { componentsStatus, installComponents, removeComponents } from "../core/components/actions.ts";
import { DEFAULT_VERSION } from "../core/components/release.ts";
import type { BundleRequest } from "../core/components/provision.ts";

export const usage = "status|install|upgrade|remove [OPTIONS]";
export const examples = [
  "containerd-rootless-systemd components status",
  `containerd-rootless-systemd components install --yes                  # nerdctl-full ${DEFAULT_VERSION}, checked against the pinned SHA-256`,
  `containerd-rootless-systemd components install --from ./nerdctl-full-${DEFAULT_VERSION}-linux-amd64.tar.gz --yes   # air-gapped; checked against the pin`,
  `containerd-rootless-systemd components install --from https://mirror.example/bundle.tar.gz --version ${DEFAULT_VERSION} --yes   # a mirror: still checked against the pin`,
  "containerd-rootless-systemd components install --from https://mirror.example/nerdctl-full-2.4.0-linux-amd64.tar.gz --sha256 HEX --yes   # a version this binary has no pin for",
  "containerd-rootless-systemd components upgrade --version 2.3.0 --yes  # rolls back when the new version does not answer",
  "containerd-rootless-systemd components remove --yes",
];

const ACTIONS = ["status", "install", "upgrade", "remove"];

export default defineCommand({
  meta: { name: "components", description: "Fetch, verify, upgrade or remove the nerdctl-full bundle (containerd, RootlessKit, BuildKit, ...) this tool runs" },
  args: {
    action: { type: "positional", required: false, description: `${ACTIONS.join(", ")} (default: status)` },
    ...outputArgs,
    version: { type: "string", description: `nerdctl-full version (default ${DEFAULT_VERSION})` },
    from: { type: "string", description: "A mirror URL or a local file instead of the GitHub release" },
    sha256: { type: "string", description: "The tarball's expected SHA-256; overrides the value pinned for the version (by default a pinned version is checked against its pin, whatever its URL or file name; others against the release's SHA256SUMS)" },
    "insecure-http": { type: "boolean", description: "Allow a plain http:// URL (a mirror on your own network; the SHA-256 is still checked)" },
    "stall-timeout": { type: "string", description: "Give up on a download when no data arrives for this many seconds (default 30)" },
    retries: { type: "string", description: "Attempts after the first on network errors (default 3)" },
    yes: { type: "boolean", alias: ["y"], description: "Do not ask (headless)" },
  },
  async run({ args, data }) {
    const ctx = runContext(data, args);
    const action = String(args._[0] ?? "status");
    if (!ACTIONS.includes(action) || args._.length > 1) throw new UsageError(`unknown components action "${args._.slice(0, 2).join(" ")}"`, `Use one of: ${ACTIONS.join(", ")}.`);
    if (action === "status") {
      const s = await componentsStatus(ctx);
      ctx.reporter.plain(`Active bundle: ${s.active ? `nerdctl-full ${s.active} (${s.bundle?.source ?? "?"}, SHA-256 ${s.bundle?.sha256 ?? "?"})` : "none"}${s.usedBy.length ? `; used by ${s.usedBy.join(", ")}` : ""}`);
      for (const p of s.programs) ctx.reporter.plain(`  ${p.name.padEnd(32)} ${(p.version ?? "-").padEnd(14)} ${p.origin === "distribution" ? `package ${p.package}` : p.origin === "bundle" ? "bundle" : p.origin === "path" ? "on PATH" : "not found"}${p.path ? `  ${p.path}` : ""}`);
      ctx.reporter.result(s);
      return 0;
    }
    if (!args.yes && !ctx.host.stdinIsTTY) throw new UsageError("not a terminal; pass --yes", `Re-run with --yes to ${action} without asking.`);
    if (!args.yes && !/^y(es)?$/i.test((await ctx.host.ask(`${action[0]!.toUpperCase()}${action.slice(1)} the nerdctl-full bundle? [y/N] `)).trim())) {
      ctx.reporter.info("Cancelled; nothing changed");
      return 1;
    }
    if (action === "remove") {
      ctx.reporter.result(await removeComponents(ctx, { version: args.version }));
      return 0;
    }
    const num = (v: string | undefined, flag: string) => {
      if (v === undefined) return undefined;
      if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${flag} ${v} is not a number`);
      return Number(v);
    };
    const stall = num(args["stall-timeout"], "stall-timeout");
    const req: BundleRequest = { version: args.version, from: args.from, sha256: args.sha256, insecureHttp: args["insecure-http"], stallMs: stall === undefined ? undefined : stall * 1000, retries: num(args.retries, "retries") };
    ctx.reporter.result(await installComponents(ctx, req, { upgrade: action === "upgrade" }));
    return 0;
  },
});
