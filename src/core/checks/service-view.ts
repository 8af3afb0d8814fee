// What containerd.service will run with, as the probes about networking need it: the service's
// environment (systemd's view: the manager's, the unit's and its drop-ins'), the network driver
// and whether detach-netns is on, decided from the same capability model and chooser as the
// launcher (network-driver.ts, rootlesskit/network.ts). Memoised per check run.
import { environmentValues } from "../systemd/service-environment.ts";
import { serviceEnvironmentOf } from "./session.ts";
import { settingSpec } from "../rootlesskit/settings.ts";
import { chooseNetDriver } from "../rootlesskit/network.ts";
import type { CheckContext } from "./context.ts";
import { rootlesskitFacts } from "./network-driver.ts";

/** The variables containerd.service's processes get ({} when systemd cannot be asked). */
export function serviceVars(ctx: CheckContext): Promise<Record<string, string>> {
  return ctx.memo("service-vars", () => serviceEnvironmentOf(ctx).then(environmentValues, () => ({})));
}

/** The network driver the service will use: its setting, else the launcher's automatic choice. */
export async function serviceNetDriver(ctx: CheckContext): Promise<string | null> {
  const set = (await serviceVars(ctx))[settingSpec("net").env];
  if (set) return set;
  const facts = await rootlesskitFacts(ctx).catch(() => null);
  return facts?.rootlesskit ? (chooseNetDriver(facts).net ?? null) : null;
}

/** Whether containerd will run in the host's network namespace (detach-netns), as the launcher resolves auto. */
export async function serviceDetachNetns(ctx: CheckContext): Promise<boolean> {
  const set = (await serviceVars(ctx))[settingSpec("detachNetns").env];
  if (set === "true" || set === "1") return true;
  if (set === "false" || set === "0") return false;
  return (await rootlesskitFacts(ctx).catch(() => null))?.detachNetns ?? false;
}
