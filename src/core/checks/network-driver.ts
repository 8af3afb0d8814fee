// "Which network driver will the service use": the check asks the same capability model
// (rootlesskit/facts.ts) and the same resolution (rootlesskit/resolve.ts, chooser in
// rootlesskit/network.ts) as the launcher, with the settings the service will get (its
// drop-ins), so a machine check passes is a machine the launcher starts on.
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findTool, type CheckContext, type Tool } from "./context.ts";
import { installFix, type Distro } from "./distro.ts";
import type { FactsPart, NetworkDriver } from "./facts.ts";
import { probeRootlessKitFacts, type RootlessKitFacts } from "../rootlesskit/facts.ts";
import { rootlessKitHelp } from "./context.ts";
import { resolveSettings, type ResolvedSettings } from "../rootlesskit/resolve.ts";
import { parseSettings, SettingsError, type RawSettings } from "../rootlesskit/settings.ts";
import { effectiveSettings } from "../rootlesskit/dropin.ts";
import { serviceEnvironmentOf } from "./session.ts";
import { BINARY_NAME } from "../os/paths.ts";
import { programsRootlessKitRuns } from "../rootlesskit/network.ts";

/** The capability model, probed once per check run. */
export function rootlesskitFacts(ctx: CheckContext): Promise<RootlessKitFacts> {
  return ctx.memo("rootlesskit-facts", () => probeRootlessKitFacts(ctx.host, rootlessKitHelp(ctx)));
}

/** The CONTAINERD_ROOTLESS_ROOTLESSKIT_* values the service will get from its unit and drop-ins. */
async function serviceRaw(ctx: CheckContext): Promise<RawSettings> {
  const raw: RawSettings = {};
  const service = await serviceEnvironmentOf(ctx).catch(() => null);
  for (const e of service ? effectiveSettings(service) : []) if (e.value !== undefined) raw[e.key] = e.value;
  return raw;
}

function describeDriver(s: ResolvedSettings, facts: RootlessKitFacts, slirp: Tool | null): string {
  const what = s.net === "slirp4netns" && slirp ? `slirp4netns ${slirp.version ?? ""} (${slirp.path})`.replace("  ", " ") : s.net === "gvisor-tap-vsock" ? `gvisor-tap-vsock (built into RootlessKit ${facts.version ?? ""})` : s.net;
  const keepsSourceIp = s.portDriver === "builtin" && facts.sourceIpTransparent ? " (keeps the client's source IP)" : "";
  return `Network driver: ${what}, MTU ${s.mtu}, port driver ${s.portDriver}${keepsSourceIp}`;
}

export async function probeNetworkDriver(ctx: CheckContext, slirp: Tool | null, distro: Distro): Promise<{ findings: Finding[]; facts: FactsPart }> {
  const facts = await rootlesskitFacts(ctx);
  const findings: Finding[] = [];
  const part: FactsPart = { networkDriver: null, detachNetnsSupported: facts.detachNetns };
  if (!facts.rootlesskit) return { findings, facts: part };
  let settings: ResolvedSettings | null = null;
  let configured = false;
  try {
    const raw = await serviceRaw(ctx);
    configured = raw.net !== undefined;
    settings = resolveSettings(parseSettings(raw), facts, ctx.paths);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    const noDriver = e.problems.some((p) => p.key === "net" && p.value === "");
    if (noDriver && !slirp) findings.push({ id: "binaries.network.missing", level: "error", message: `${e.problems.find((p) => p.key === "net")!.message}.`, ...installFix(distro, "slirp4netns") });
    else if (!noDriver) {
      findings.push({
        id: "binaries.network.settings",
        level: "error",
        message: `containerd.service's RootlessKit settings (its drop-ins) do not work here; the launcher would refuse to start: ${e.message}`,
        fix: e.fix ?? `Change them with \`${BINARY_NAME} configure\` (see \`${BINARY_NAME} configure --show\`).`,
      });
    }
  }
  if (slirp && !facts.slirp4netnsUsable) {
    const using = settings?.net;
    findings.push({
      id: "binaries.slirp4netns.too-old",
      level: using ? "warning" : "error",
      message: `slirp4netns ${slirp.version ?? "(unknown version)"} is older than 0.4.0 (its --help has no --netns-type)${using ? `; using ${using} instead` : ""}.`,
      fix: "Install slirp4netns 0.4.0 or newer.",
    });
  }
  if (!settings) return { findings, facts: part };
  part.networkDriver = settings.net as NetworkDriver;
  const text = describeDriver(settings, facts, slirp) + (configured ? " (as configured)" : "");
  if (settings.net === "slirp4netns") findings.push(ok("binaries.network", text));
  else if (settings.net === "gvisor-tap-vsock") {
    findings.push({ id: "binaries.network", level: "info", message: `${text}. gvisor-tap-vsock has no IPv6; containers see the gateway and DNS at 10.0.2.1. slirp4netns >= 0.4.0 is preferred when installed.` });
  } else findings.push({ id: "binaries.network", level: "info", message: `${text}${configured ? "" : " (slirp4netns >= 0.4.0 is preferred)"}` });
  findings.push(...(await helperFindings(ctx, settings.net, distro)));
  return { findings, facts: part };
}

/** What RootlessKit itself runs for the driver (`ip`): missing, containerd.service fails at every start while a smoke test with --net=host passes. */
async function helperFindings(ctx: CheckContext, net: string, distro: Distro): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const { program, pkg, why } of programsRootlessKitRuns(net)) {
    const path = await findTool(ctx, program);
    if (path) out.push(ok(`binaries.${program}`, `${program} (${path}): ${why}`));
    else out.push({ id: `binaries.${program}.missing`, level: "error", message: `${program} (package ${pkg}) was not found on PATH or in the sbin directories: ${why}, so containerd.service would fail at every start.`, ...installFix(distro, pkg) });
  }
  return out;
}
