// The closing hint after an install names the client the user actually has. The seed's lines
// ("Use `nerdctl` to connect ...") only when `nerdctl` is on the user's own PATH; nerdctl in the
// active nerdctl-full bundle (first on the units' PATH, not on the user's) gets the PATH line
// that makes it usable; with no nerdctl at all (Debian has no package) the hint says how to get
// it (`components install`) and gives the line that reaches containerd now: `ctr` through
// `nsenter`, which comes with containerd itself.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME } from "../os/paths.ts";
import { findIn } from "../components/inventory.ts";
import { currentBin } from "../components/store.ts";

export type Client = "nerdctl" | "bundle-nerdctl" | "none";

/** Where the user's nerdctl is: on their PATH, only in the active bundle, or nowhere. */
export async function clientOf(host: Host, paths: Paths): Promise<Client> {
  const userPath = (host.env.PATH ?? "").split(":").filter((d) => d.startsWith("/"));
  if (await findIn(host, "nerdctl", userPath)) return "nerdctl";
  return (await findIn(host, "nerdctl", [currentBin(paths)])) ? "bundle-nerdctl" : "none";
}

/** The lines that tell the user how to reach the rootless containerd from here (`home`: written as $HOME in the PATH line). */
export function clientHint(client: Client, paths: Paths, home = ""): string[] {
  const ctr = `reach containerd with ctr: \`${BINARY_NAME} nsenter -- ctr version\``;
  if (client === "nerdctl") return ["Use `nerdctl` to connect to the rootless containerd.", "You do NOT need to specify $CONTAINERD_ADDRESS explicitly."];
  if (client === "bundle-nerdctl") {
    const bin = home && currentBin(paths).startsWith(`${home}/`) ? `$HOME${currentBin(paths).slice(home.length)}` : currentBin(paths);
    return [`nerdctl is in the nerdctl-full bundle, not on your PATH: \`export PATH="${bin}:$PATH"\` (add it to ~/.profile), then use \`nerdctl\` (no $CONTAINERD_ADDRESS needed).`, `Or ${ctr}.`];
  }
  return [`nerdctl is not installed (Debian has no package for it): \`${BINARY_NAME} components install\` fetches nerdctl-full, which has it.`, `Until then, ${ctr}.`];
}
