// The registries the user has set up for containerd and nerdctl, and which of them are on this
// machine's loopback — out of reach without detach-netns: containerd, and nerdctl's pulls,
// pushes and builds (it enters RootlessKit's network namespace unless the netns is detached:
// containerd/nerdctl v2.2.2, pkg/rootlessutil/parent_linux.go), run in RootlessKit's network
// namespace, started with --disable-host-loopback, where 127.0.0.1, localhost and ::1 are the
// namespace's own. A pull then fails with "dial tcp 127.0.0.1:5000: connect: connection refused".
//
// Where registries are set up: the host directories of hosts.toml files in nerdctl's hosts_dir
// (nerdctl.toml; by default $XDG_CONFIG_HOME/containerd/certs.d and $XDG_CONFIG_HOME/docker/certs.d
// for a rootless user: nerdctl v2.2.2, pkg/defaults/defaults_linux.go, HostsDirs), and the
// registries `nerdctl login` saved in $DOCKER_CONFIG/config.json (`auths`).
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME } from "../os/paths.ts";
import { isLoopbackHost } from "../rootlesskit/proxy.ts";

export interface RegistrySeen {
  /** host[:port] as configured, e.g. "127.0.0.1:5000" */
  host: string;
  /** the file or directory that names it */
  where: string;
}

/** nerdctl's hosts_dir: nerdctl.toml's, else its rootless defaults. */
async function hostsDirs(host: Host, paths: Paths): Promise<string[]> {
  const text = (await host.readText(paths.nerdctlConfig).catch(() => null)) ?? "";
  const line = /^\s*hosts_dir\s*=\s*\[([^\]]*)\]/m.exec(text);
  const listed = line ? [...line[1]!.matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => m[1] ?? m[2]!) : [];
  return listed.length ? listed : [join(paths.configHome, "containerd/certs.d"), join(paths.configHome, "docker/certs.d")];
}

/** Every registry named by a hosts directory or a saved login. */
export async function configuredRegistries(host: Host, paths: Paths): Promise<RegistrySeen[]> {
  const out: RegistrySeen[] = [];
  for (const dir of await hostsDirs(host, paths)) {
    for (const name of (await host.readdir(dir).catch(() => null)) ?? []) if (name !== "_default") out.push({ host: name, where: join(dir, name) });
  }
  const dockerConfig = join(host.env.DOCKER_CONFIG || join(paths.home, ".docker"), "config.json");
  try {
    const auths = JSON.parse((await host.readText(dockerConfig)) ?? "{}").auths ?? {};
    for (const key of Object.keys(auths)) out.push({ host: key.replace(/^https?:\/\//, "").replace(/\/.*$/, ""), where: dockerConfig });
  } catch {
    // not JSON: nerdctl would say so itself
  }
  return out;
}

/** "127.0.0.1:5000", "localhost", "[::1]:5000" are this machine's loopback. */
export function isLoopbackRegistry(registry: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  return isLoopbackHost(bracketed ? bracketed[1]! : registry.replace(/:\d+$/, ""));
}

export async function loopbackRegistries(host: Host, paths: Paths): Promise<RegistrySeen[]> {
  return (await configuredRegistries(host, paths)).filter((r) => isLoopbackRegistry(r.host));
}

/** Why registries on the loopback fail without detach-netns (`seen`: the ones set up here). */
export function loopbackRegistryText(seen: readonly RegistrySeen[]): string {
  const named = seen.length ? ` (${seen.map((r) => `${r.host}, in ${r.where}`).join("; ")})` : "";
  return (
    `Without detach-netns, containerd and nerdctl's pulls, pushes and builds run in RootlessKit's network namespace, started with --disable-host-loopback, ` +
    `where 127.0.0.1, localhost and ::1 are the namespace's own: a registry or proxy listening on this machine's loopback${named} cannot be reached ("connect: connection refused").`
  );
}

/** What to do: detach-netns where the installed RootlessKit has it, else another address. */
export function loopbackRegistryFix(detachSupported: boolean): string {
  const other = "let the registry listen on another address of this machine and use that address (e.g. HOST-ADDRESS:5000)";
  return detachSupported
    ? `Turn detach-netns on, so that containerd and nerdctl use this machine's network: \`${BINARY_NAME} configure --detach-netns true\`; or ${other}.`
    : `${other[0]!.toUpperCase()}${other.slice(1)}; or install RootlessKit 2.0 or later (https://github.com/rootless-containers/rootlesskit/releases, or \`${BINARY_NAME} components install\`) and turn detach-netns on.`;
}
