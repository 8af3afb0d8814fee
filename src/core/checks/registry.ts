// Registries on this machine's loopback (a local registry, e.g. Debian's docker-registry on
// 127.0.0.1:5000), set up in nerdctl's hosts directories or saved by `nerdctl login`: reachable
// only with detach-netns (containerd/registries.ts says why). Nothing is said when none is set up.
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import type { CheckContext, ProbeResult } from "./context.ts";
import { loopbackRegistries, loopbackRegistryFix, loopbackRegistryText } from "../containerd/registries.ts";
import { serviceDetachNetns } from "./service-view.ts";
import { rootlesskitFacts } from "./network-driver.ts";

export async function probeRegistry(ctx: CheckContext): Promise<ProbeResult> {
  const seen = await loopbackRegistries(ctx.host, ctx.paths);
  if (seen.length === 0) return { findings: [] };
  const hosts = seen.map((r) => r.host).join(", ");
  if (await serviceDetachNetns(ctx)) return { findings: [ok("registry.loopback", `The registry on this machine's loopback (${hosts}) is reachable: containerd and nerdctl use this machine's network (detach-netns)`)] };
  const supported = (await rootlesskitFacts(ctx).catch(() => null))?.detachNetns ?? false;
  const finding: Finding = { id: "registry.loopback", level: "warning", message: loopbackRegistryText(seen), fix: loopbackRegistryFix(supported) };
  return { findings: [finding] };
}
