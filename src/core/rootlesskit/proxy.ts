// The proxy variables containerd.service passes to containerd (HTTP_PROXY, HTTPS_PROXY,
// NO_PROXY): their syntax, and whether containerd can reach a proxy at all. containerd is a Go
// program: net/http's ProxyFromEnvironment reads HTTP_PROXY, then http_proxy (the first that is
// not empty), and accepts the schemes http, https, socks5 and socks5h
// (golang.org/x/net/http/httpproxy, config.go). Without detach-netns containerd runs inside
// RootlessKit's network namespace, started with --disable-host-loopback: 127.0.0.1 there is the
// namespace's own loopback, so a proxy listening on the host's loopback is out of reach.

/** The variables, in the order the settings list them. */
export const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] as const;
export type ProxyVariable = (typeof PROXY_VARIABLES)[number];

const SCHEMES = ["http:", "https:", "socks5:", "socks5h:"];
const EXAMPLE = "http://proxy.example.com:3128";

/** What is wrong with a proxy URL given to `configure` or `apply` (without the name), or null. */
export function proxyUrlProblem(value: string): string | null {
  if (/\s/.test(value)) return `expected a URL without spaces, e.g. ${EXAMPLE}`;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return `expected a URL with a scheme, e.g. ${EXAMPLE}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a valid URL; expected e.g. ${EXAMPLE}`;
  }
  if (!SCHEMES.includes(url.protocol)) return `the scheme ${url.protocol.slice(0, -1)} is not one containerd accepts (http, https, socks5, socks5h)`;
  if (!url.hostname) return `the URL names no host; expected e.g. ${EXAMPLE}`;
  return null;
}

/** NO_PROXY: host names, .domains, IP addresses or CIDRs (with an optional :port), or `*`, separated by commas. */
export function noProxyProblem(value: string): string | null {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((i) => i === "")) return "expected a comma-separated list without empty entries, e.g. localhost,127.0.0.1,.example.com";
  const bad = items.find((i) => !/^[A-Za-z0-9.*:_[\]/-]+$/.test(i));
  return bad === undefined ? null : `${JSON.stringify(bad)} is not a host name, domain, IP address or CIDR`;
}

/** The value Go's net/http uses for `name`: the upper-case variable, else the lower-case one (empty counts as unset). */
export function goProxyValue(env: Readonly<Record<string, string | undefined>>, name: ProxyVariable): string | undefined {
  return env[name] || env[name.toLowerCase()] || undefined;
}

/** The proxy's host as Go reads the variable (no scheme means http://), or null when it names none. */
export function proxyHost(value: string): string | null {
  try {
    const url = new URL(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? value : `http://${value}`);
    return url.hostname.replace(/^\[(.*)\]$/, "$1") || null;
  } catch {
    return null;
  }
}

/** True for the host's own loopback: localhost, 127.0.0.0/8, ::1 (and 0.0.0.0, which means this host). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1" || h === "0.0.0.0" || /^::ffff:127\./.test(h);
}

export function isLoopbackProxy(value: string): boolean {
  const host = proxyHost(value);
  return host !== null && isLoopbackHost(host);
}

/** The `configure` flag of each variable. */
export const PROXY_FLAG: Record<ProxyVariable, string> = { HTTP_PROXY: "--http-proxy", HTTPS_PROXY: "--https-proxy", NO_PROXY: "--no-proxy" };

/** What to do about a loopback proxy in `name` that containerd cannot reach. */
export function loopbackProxyFix(name: ProxyVariable): string {
  return `Turn on detach-netns, so that containerd pulls from the host's network namespace (RootlessKit >= 2.0: \`containerd-rootless-systemd configure --detach-netns true\`), or let the proxy also listen on an address of this machine other than loopback and give containerd that address (\`containerd-rootless-systemd configure ${PROXY_FLAG[name]} http://HOST-ADDRESS:PORT\`).`;
}

/** Why `name=value` is out of containerd's reach without detach-netns. */
export function loopbackProxyText(name: string, value: string): string {
  return `${name}=${value} points at this machine's loopback, which containerd cannot reach: without detach-netns it runs in RootlessKit's network namespace (started with --disable-host-loopback), where ${proxyHost(value)} is the namespace's own loopback, so pulls through this proxy fail.`;
}

/** The warnings for proxy values containerd will use (name -> value), given whether detach-netns is on. */
export function unreachableProxies(values: Readonly<Record<string, string | undefined>>, detachNetns: boolean): { name: ProxyVariable; value: string; message: string }[] {
  if (detachNetns) return [];
  const out: { name: ProxyVariable; value: string; message: string }[] = [];
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY"] as const) {
    const value = values[name];
    if (value && isLoopbackProxy(value)) out.push({ name, value, message: loopbackProxyText(name, value) });
  }
  return out;
}

/**
 * `configure`'s and `apply`'s warnings for the settings a plan leaves in effect: each loopback
 * proxy containerd will get while detach-netns is off, with what to do.
 */
export function proxyWarnings(effective: readonly { env: string; value: string | undefined }[], settings: { detachNetns: boolean }): string[] {
  const values = Object.fromEntries(effective.filter((e) => e.value !== undefined).map((e) => [e.env, e.value]));
  return unreachableProxies(values, settings.detachNetns).map((u) => `${u.message}\n  ${loopbackProxyFix(u.name)}`);
}
