// What containerd.service will run with, as the probes about networking need it: the service's
// environment (systemd's view: the manager's, the unit's and its drop-ins'), the network driver
// and whether detach-netns is on, decided as the launcher decides them. Memoised per check run.
import { environmentValues, serviceEnvironment } from "../systemd/service-environment.ts";
import { settingSpec } from "../rootlesskit/settings.ts";
import { findToolVersion, type CheckContext } from "./context.ts";
import { atLeast } from "../os/version.ts";

/** The variables containerd.service's processes get ({} when systemd cannot be asked). */
export function serviceVars(ctx: CheckContext): Promise<Record<string, string>> {
  return ctx.memo("service-vars", () => serviceEnvironment(ctx.host, ctx.paths).then(environmentValues, () => ({})));
}

/** `rootlesskit --help` lists --detach-netns (RootlessKit >= 2.0); asked once per run, and only when a probe needs it. */
function rootlesskitDetaches(ctx: CheckContext): Promise<boolean> {
  return ctx.memo("rootlesskit-detach", async () => {
    const rk = await findToolVersion(ctx, "rootlesskit");
    if (!rk) return false;
    const r = await ctx.host.run([rk.path, "--help"], { timeoutMs: 5000 });
    return /(^|\s)--detach-netns\b/.test(r.stdout + r.stderr);
  });
}

/** The network driver the service will use: its setting, else slirp4netns >= 0.4.0, else vpnkit (the seed's default). */
export async function serviceNetDriver(ctx: CheckContext): Promise<string | null> {
  const set = (await serviceVars(ctx))[settingSpec("net").env];
  if (set) return set;
  const [slirp, vpnkit] = await Promise.all([findToolVersion(ctx, "slirp4netns"), findToolVersion(ctx, "vpnkit")]);
  if (slirp?.version && atLeast(slirp.version, "0.4.0")) return "slirp4netns";
  return vpnkit ? "vpnkit" : null;
}

/** Whether containerd will run in the host's network namespace (detach-netns), as the launcher resolves auto. */
export async function serviceDetachNetns(ctx: CheckContext): Promise<boolean> {
  const set = (await serviceVars(ctx))[settingSpec("detachNetns").env];
  if (set === "true" || set === "1") return true;
  if (set === "false" || set === "0") return false;
  return rootlesskitDetaches(ctx).catch(() => false);
}
