// Which proxy a request goes through, as curl and Go read the environment: HTTPS_PROXY (or
// https_proxy) for https URLs, HTTP_PROXY for http, none when NO_PROXY names the host (a
// domain suffix, "*", or host:port) — lower-case variables win, as in curl.
import type { Env } from "../os/host.ts";

function env(e: Env, name: string): string | undefined {
  return e[name.toLowerCase()] || e[name.toUpperCase()] || undefined;
}

export function bypassed(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (let entry of noProxy.split(/[\s,]+/).filter(Boolean)) {
    entry = entry.toLowerCase();
    if (entry === "*") return true;
    const [h, p] = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(entry)?.slice(1) ?? [entry];
    if (p && p !== port) continue;
    const name = h!.replace(/^\*?\./, "");
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy URL for `url`, or undefined for a direct connection. */
export function proxyFor(url: URL, e: Env): string | undefined {
  const proxy = url.protocol === "https:" ? env(e, "https_proxy") : env(e, "http_proxy");
  return proxy && !bypassed(url, env(e, "no_proxy")) ? proxy : undefined;
}
