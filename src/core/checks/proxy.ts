// Proxies: the HTTP_PROXY/HTTPS_PROXY/NO_PROXY (any case) of the user's environment against
// what containerd.service will see (systemd's view: the manager's environment and the unit's
// drop-ins, never the shell's), and proxies on the host's loopback, which containerd reaches
// only with detach-netns. containerd reads them as Go does (rootlesskit/proxy.ts).
import { shellQuote } from "../os/shell.ts";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import type { CheckContext, ProbeResult } from "./context.ts";
import { goProxyValue, isLoopbackProxy, loopbackProxyFix, loopbackProxyText, PROXY_FLAG, PROXY_VARIABLES, type ProxyVariable } from "../rootlesskit/proxy.ts";
import { serviceDetachNetns, serviceVars } from "./service-view.ts";

/** The names the user's environment sets for `name` (HTTPS_PROXY, https_proxy), for the message. */
function spelled(env: Readonly<Record<string, string | undefined>>, name: ProxyVariable): string {
  return [name, name.toLowerCase()].filter((n) => env[n]).join("/");
}

export async function probeProxy(ctx: CheckContext): Promise<ProbeResult> {
  const service = await serviceVars(ctx);
  const user = ctx.host.env;
  // RootlessKit is asked about detach-netns only when a proxy on loopback makes it matter
  const anyLoopback = (["HTTP_PROXY", "HTTPS_PROXY"] as const).some((n) => [goProxyValue(user, n), goProxyValue(service, n)].some((v) => v !== undefined && isLoopbackProxy(v)));
  const detach = anyLoopback && (await serviceDetachNetns(ctx));
  const findings: Finding[] = [];
  for (const name of PROXY_VARIABLES) {
    const mine = goProxyValue(user, name);
    const theirs = goProxyValue(service, name);
    const loopback = name !== "NO_PROXY" && !detach;
    if (mine !== undefined && mine !== theirs) {
      const what = theirs === undefined ? "will not see it" : `sees ${theirs} instead`;
      const unreachable = loopback && isLoopbackProxy(mine);
      findings.push({
        id: `proxy.${name.toLowerCase()}.unseen`,
        level: "warning",
        message: `${spelled(user, name)}=${mine} is set in your environment, but containerd.service ${what}: ${name === "NO_PROXY" ? "containerd sends these hosts through the proxy" : "containerd pulls images without your proxy"}.${unreachable ? ` Passing it on is not enough: ${loopbackProxyText(name, mine)}` : ""}`,
        fix: unreachable ? loopbackProxyFix(name) : `\`containerd-rootless-systemd configure ${PROXY_FLAG[name]} ${shellQuote(mine)}\` (it writes ${name} into containerd.service's drop-in and restarts containerd).`,
      });
    }
    if (loopback && theirs !== undefined && isLoopbackProxy(theirs)) {
      findings.push({ id: `proxy.${name.toLowerCase()}.loopback`, level: "warning", message: `containerd.service gets ${loopbackProxyText(name, theirs)}`, fix: loopbackProxyFix(name) });
    }
  }
  if (findings.length === 0) {
    const set = PROXY_VARIABLES.filter((n) => goProxyValue(service, n) !== undefined);
    findings.push(ok("proxy", set.length ? `containerd.service sees ${set.map((n) => `${n}=${goProxyValue(service, n)}`).join(", ")}${detach ? " (detach-netns: the host's network)" : ""}` : "No proxy variables in your environment or containerd.service's"));
  }
  return { findings };
}
