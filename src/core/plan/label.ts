// The one place a plan step gets its words. Every step, whoever made it (lifecycle,
// containerd, RootlessKit, desired state, an add-on), is labelled here from its kind and its
// object, plus the step's optional short `note`: "Write ~/.config/systemd/user/containerd.service.d/override.conf (MTU 1500)",
// "Reload systemd", "Start containerd.service", "Wait for the containerd API". The review,
// apply and done screens, the headless transcript, --dry-run and --json all read it from
// here, so a new step kind or a step another module adds is labelled the same everywhere.
// The step's `why` is the detail line under the label, never the label.
import { shellQuote as quoteArg, shellLine } from "../os/shell.ts";
import type { Step } from "./steps.ts";

/** `path` with the home directory written as `~` (only a whole leading component). */
export function tildePath(path: string, home: string | undefined): string {
  if (!home || home === "/") return path;
  const h = home.replace(/\/+$/, "");
  return path === h ? "~" : path.startsWith(`${h}/`) ? `~${path.slice(h.length)}` : path;
}

/** systemctl verbs as imperatives; `--now` turns enable/disable into "Enable and start"/"Stop and disable". */
const SYSTEMCTL: Record<string, (units: string, now: boolean) => string> = {
  "daemon-reload": () => "Reload systemd",
  start: (u) => `Start ${u}`,
  stop: (u) => `Stop ${u}`,
  restart: (u) => `Restart ${u}`,
  "try-restart": (u) => `Restart ${u} if it runs`,
  enable: (u, now) => (now ? `Enable and start ${u}` : `Enable ${u}`),
  disable: (u, now) => (now ? `Stop and disable ${u}` : `Disable ${u}`),
  "reset-failed": (u) => `Clear the failed state of ${u}`,
};

function object(step: Step, home: string | undefined): string {
  const t = (p: string) => tildePath(p, home);
  switch (step.kind) {
    case "write":
      return `Write ${t(step.path)}`;
    case "copy":
      return `Copy ${step.what ?? t(step.from)} to ${t(step.path)}`;
    case "mkdir":
      return `Create the directory ${t(step.path)}`;
    case "link":
      return step.enables ? `Enable ${step.enables}` : `Link ${t(step.path)} to ${t(step.target)}`;
    case "remove":
      if (step.disables) return `Disable ${step.disables}`;
      return step.recursive ? `Remove ${t(step.path)} and everything in it` : `Remove ${t(step.path)}`;
    case "remove-tree-in-namespace":
      return `Remove ${t(step.path)} from inside the user namespace`;
    case "systemctl": {
      const [verb = "", ...rest] = step.args;
      const units = rest.filter((a) => !a.startsWith("-"));
      const say = SYSTEMCTL[verb];
      return say ? say(units.join(" "), rest.includes("--now")) : `Run ${shellLine(["systemctl", "--user", ...step.args])}`;
    }
    case "run":
      return `Run ${step.argv.map((a) => t(quoteArg(a))).join(" ")}`;
    case "wait":
      return `Wait for ${step.what}`;
  }
}

/** The step's short imperative label: action + object (+ the step's note). */
export function stepLabel(step: Step, home?: string): string {
  return step.note ? `${object(step, home)} (${step.note})` : object(step, home);
}

/** Why the step is there, for the detail line under its label (the review shows it). */
export function stepDetail(step: Step): string | undefined {
  return step.why;
}
