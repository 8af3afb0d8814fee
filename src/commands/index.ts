// The command map. Descriptions live here so the root help lists every command without
// loading any of them; each command module is imported only when it runs.
import type { CommandDef } from "citty";

export interface CommandModule {
  default: CommandDef<any>;
  /** shown under EXAMPLES in the command's --help */
  examples?: string[];
  /** the USAGE line after the command name, when the arguments are not citty's (e.g. `-- CMD...`) */
  usage?: string;
  /** shell completion candidates: an argument's name (a flag or the positional) -> its values */
  completions?: Record<string, () => string[]>;
}

export interface CommandEntry {
  description: string;
  hidden?: boolean;
  load: () => Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  check: {
    description: "Check whether rootless containerd can work here, and what to type to fix what is missing",
    load: () => import("./check.ts"),
  },
  install: {
    description: "Install rootless containerd as a systemd user service (containerd.service)",
    load: () => import("./install.ts"),
  },
  uninstall: {
    description: "Stop and remove the services this tool installed (images and containers are kept unless --purge)",
    load: () => import("./uninstall.ts"),
  },
  status: {
    description: "Show the services, versions, RootlessKit settings, socket and snapshotters",
    load: () => import("./status.ts"),
  },
  nsenter: {
    description: "Run a command inside rootless containerd's namespaces: nsenter -- CMD...",
    load: () => import("./nsenter.ts"),
  },
  configure: {
    description: "Change the RootlessKit settings (network driver, MTU, detach-netns...), restart and verify",
    load: () => import("./configure.ts"),
  },
  apply: {
    description: "Converge to a desired-state file (TOML, YAML or JSON): add-ons, RootlessKit settings, snapshotter; idempotent",
    load: () => import("./apply.ts"),
  },
  verify: {
    description: "Prove that containers work: one starts, has network, DNS and published ports, limits, ping, add-ons; leaves nothing behind",
    load: () => import("./verify.ts"),
  },
  plugins: {
    description: "List the add-ons (BuildKit, snapshotters, bypass4netns, detach-netns) and whether each can be installed here",
    load: () => import("./plugins.ts"),
  },
  "self-update": {
    description: "Replace this binary with a newer signed release (verified), or --rollback to the previous one",
    load: () => import("./self-update.ts"),
  },
  completion: {
    description: "Print the shell completion script: completion bash|zsh|fish",
    load: () => import("./completion.ts"),
  },
  components: {
    description: "Fetch, verify, upgrade or remove the nerdctl-full bundle (containerd, RootlessKit, BuildKit...) the service runs",
    load: () => import("./components.ts"),
  },
  ...addonVerbs(),
  complete: {
    description: "Answer the shell completion scripts: complete -- WORDS...",
    hidden: true,
    load: () => import("./complete.ts"),
  },
  launch: {
    description: "Run rootless containerd in the foreground (the service's ExecStart)",
    hidden: true,
    load: () => import("./launch.ts"),
  },
  "verify-agent": {
    description: "Look at a container from the inside (what verify runs in its throwaway container)",
    hidden: true,
    load: () => import("./verify-agent.ts"),
  },
};

/** The seed's verbs: install-buildkit, uninstall-buildkit, install-fuse-overlayfs, ... */
function addonVerbs(): Record<string, CommandEntry> {
  const verbs: [id: string, verb: string, what: string][] = [
    ["buildkit", "buildkit", "BuildKit (buildkit.service)"],
    ["fuse-overlayfs", "fuse-overlayfs", "the fuse-overlayfs snapshotter, registered with containerd"],
    ["stargz", "stargz", "the stargz snapshotter, registered with containerd"],
    ["bypass4netns", "bypass4netnsd", "bypass4netnsd (faster rootless networking)"],
  ];
  const out: Record<string, CommandEntry> = {};
  for (const [id, verb, what] of verbs) {
    for (const action of ["install", "uninstall"] as const) {
      out[`${action}-${verb}`] = {
        description: `${action === "install" ? "Install" : "Remove"} ${what}`,
        load: () => import("./addon-verb.ts").then((m) => m.addonCommand(id, verb, action)),
      };
    }
  }
  return out;
}
