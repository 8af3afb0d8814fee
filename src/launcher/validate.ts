// `launch --validate`: everything the launcher decides before it executes anything — the
// user and directories, the CONTAINERD_ROOTLESS_ROOTLESSKIT_* settings resolved against the
// installed RootlessKit, the helpers (rootlesskit, containerd, mount, the `ip` RootlessKit runs) and config.toml's
// syntax — without starting RootlessKit or containerd. A failed start is diagnosed with it,
// so the diagnosis never runs a second containerd beside the service on the live data.
import type { Host } from "../core/os/host.ts";
import type { Paths } from "../core/os/paths.ts";
import { UserError } from "../core/os/errors.ts";
import { parseTomlChecked } from "../core/containerd/toml-text.ts";
import { planParent } from "./parent.ts";
import { programsRootlessKitRuns } from "../core/rootlesskit/network.ts";

/** The lines to print when everything the launcher can check without executing holds; throws UserError otherwise. */
export async function validateLaunch(host: Host, paths: Paths): Promise<string[]> {
  const plan = await planParent(host, paths, []);
  const lines = [`rootlesskit: ${plan.argv[0]}`, ...plan.settings.notes];
  for (const tool of ["containerd", "mount"]) {
    const found = await host.which(tool);
    if (!found) throw new UserError(`${tool} is not installed (not found on PATH=${host.env.PATH ?? ""})`, tool === "containerd" ? "Install containerd or add its directory to the unit's PATH." : "Install util-linux.");
    lines.push(`${tool}: ${found}`);
  }
  // what RootlessKit runs itself for the network driver: only its PATH counts (exec.Command looks it up there)
  for (const { program, pkg, why } of programsRootlessKitRuns(plan.settings.net)) {
    const found = await host.which(program);
    if (!found) throw new UserError(`${program} is not installed (not found on PATH=${host.env.PATH ?? ""}): ${why}, so RootlessKit would fail`, `Install the ${pkg} package (Debian/Ubuntu: \`sudo apt-get install ${pkg}\`), or add its directory to the unit's PATH.`);
    lines.push(`${program}: ${found}`);
  }
  const config = await host.readText(paths.containerdConfig);
  if (config !== null) {
    parseTomlChecked(config, paths.containerdConfig);
    lines.push(`${paths.containerdConfig}: valid TOML`);
  }
  return lines;
}
