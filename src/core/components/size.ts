// How big a bundle is before it is fetched: the server's Content-Length, asked with a GET
// whose body is never read (redirects followed, as GitHub's release links redirect), within a
// short time limit. For the UI's choice label ("fetch nerdctl-full v2.2.2 (262 MB)"): a
// machine without a network answers null at once or after the limit, never an error.
import type { Host } from "../os/host.ts";
import { proxyFor } from "./proxy.ts";

export async function remoteSize(host: Host, url: string, opts: { timeoutMs?: number; maxRedirects?: number } = {}): Promise<number | null> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs ?? 3000);
  try {
    let u = new URL(url);
    for (let hop = 0; hop <= (opts.maxRedirects ?? 5); hop++) {
      if (u.protocol !== "https:" && u.protocol !== "http:") return null;
      const res = await host.httpGet(u.href, { proxy: proxyFor(u, host.env), signal: ctl.signal });
      res.cancel();
      if (res.status >= 300 && res.status < 400 && res.location) {
        u = new URL(res.location, u);
        continue;
      }
      return res.status === 200 ? res.contentLength : null;
    }
    return null;
  } catch {
    return null; // offline, refused, timed out: the size is simply not known
  } finally {
    clearTimeout(timer);
  }
}
