// BuildKit facts the add-ons need: the units this tool installed for it and the seed's
// detach-netns caveat (buildkitd's version and bridge networking: core/checks/buildkit.ts).
import { join } from "node:path";
import type { Host } from "../../core/os/host.ts";
import type { Paths } from "../../core/os/paths.ts";
import { atLeast } from "../../core/os/version.ts";
import { buildkitFacts } from "../../core/checks/buildkit.ts";
import { isOwned } from "../../core/systemd/units.ts";
import { serviceStateDir } from "../../core/containerd/ready.ts";
import { serviceEnvironment } from "../../core/systemd/service-environment.ts";
import { BINARY_NAME } from "../../core/os/paths.ts";

/** buildkit.service and NS-buildkit.service files this tool wrote. */
export async function ownedBuildkitUnits(host: Host, paths: Paths): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await host.readdir(paths.unitDir)) ?? []) {
    if (!/^(?:[A-Za-z0-9_.-]+-)?buildkit\.service$/.test(f)) continue;
    if (isOwned(await host.readText(join(paths.unitDir, f)))) out.push(f);
  }
  return out.sort();
}

/** detach-netns is (or is about to be) in effect for containerd. */
export async function detachNetnsInEffect(host: Host, paths: Paths): Promise<boolean> {
  if (await host.exists(join(await serviceStateDir(host, paths), "netns"))) return true;
  const v = (await serviceEnvironment(host, paths)).vars.CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS?.value;
  return v === "true" || v === "1";
}

/** The seed's fix, without deleting the user's file: the reinstall moves buildkitd.toml to the backups, with the user's yes. */
export const CAVEAT_FIX = `${BINARY_NAME} install-buildkit`;

/**
 * The seed's caveat: under detach-netns, BuildKit < 0.13 exposes the host's loopback address
 * and abstract sockets to RUN steps. Returns the warning, or undefined when it does not apply.
 * `detach` = detach-netns is or will be on (callers that just turned it on pass true).
 */
export async function buildkitCaveat(ctx: { host: Host; paths: Paths }, detach?: boolean): Promise<string | undefined> {
  const on = detach ?? (await detachNetnsInEffect(ctx.host, ctx.paths));
  if (!on) return undefined;
  const facts = await buildkitFacts(ctx.host);
  if (!facts.path) return undefined;
  if (facts.version ? atLeast(facts.version, "0.13.0") : facts.bridge) return undefined;
  const installed = (await ownedBuildkitUnits(ctx.host, ctx.paths)).length > 0;
  if (!installed && detach) return undefined;
  return (
    `BuildKit ${facts.version ?? "(unknown version, no bridge networking)"} is older than 0.13: with detach-netns, Dockerfile RUN steps of \`nerdctl build\` can reach the host's loopback (127.0.0.1) and abstract sockets. ` +
    `Fix: upgrade BuildKit to 0.13 or later, then run \`${CAVEAT_FIX}\` again: it rewrites the unit with bridge networking and, once you confirm the plan (or pass --yes), moves ~/.config/buildkit/buildkitd.toml (the old settings) to the backups; it never deletes it.`
  );
}
