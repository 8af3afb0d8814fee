// One line that says what a run changed, for the done screen and the end of a headless run:
// "containerd installed and running; 1 setting changed; nothing else touched". Decided from
// the plan's previews (made before it ran, so they still know what each file was), whoever
// made the steps: the containerd unit, RootlessKit settings (the drop-in lines of the diffs),
// add-ons, and whatever else changed, by name ("1 other file changed (~/.config/...)").
import { BINARY_NAME, CONTAINERD_UNIT } from "../os/paths.ts";
import type { StepPreview } from "../plan/render.ts";
import type { Step } from "../plan/steps.ts";

const SETTING_LINE = /^[+-]Environment="?(CONTAINERD_ROOTLESS_ROOTLESSKIT_\w+|HTTPS?_PROXY|NO_PROXY)=/;
const isUnitFile = (target: string) => target.endsWith(`/systemd/user/${CONTAINERD_UNIT}`);
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The settings (RootlessKit's and the proxy variables) whose drop-in lines a diff changes. */
export function changedSettings(diff: string): string[] {
  const keys = diff.split("\n").flatMap((l) => SETTING_LINE.exec(l)?.[1] ?? []);
  return [...new Set(keys)];
}

export interface SummaryInput {
  steps: readonly Step[];
  previews: readonly StepPreview[];
  /** add-ons installed or removed by this run (their own steps are not counted again) */
  addonsAdded?: readonly string[];
  addonsRemoved?: readonly string[];
  /** the user's home: other files are named from `~` */
  home?: string;
}

/** What the run changed, as parts ("containerd installed and running", "1 setting changed"); [] when nothing. */
export function changeParts({ steps, previews, addonsAdded = [], addonsRemoved = [], home }: SummaryInput): string[] {
  const parts: string[] = [];
  const acted = (verbs: string[]) => steps.some((s) => s.kind === "systemctl" && verbs.includes(s.args[0]!) && s.args.includes(CONTAINERD_UNIT));
  const unit = previews.find((p) => p.kind !== "wait" && isUnitFile(p.target) && p.willChange);
  const settings = new Set<string>();
  const others: string[] = [];
  previews.forEach((p, i) => {
    if (!p.willChange || p.effect === "act") return;
    const keys = changedSettings(p.diff ?? "");
    keys.forEach((k) => settings.add(k));
    const step = steps[i];
    // the unit and the binary it runs are containerd's own part of the run
    const containerdPart = isUnitFile(p.target) || step?.kind === "copy" || p.target.endsWith(`/bin/${BINARY_NAME}`); // the binary copy, not the bash completion of the same name
    if (!containerdPart && keys.length === 0 && addonsAdded.length + addonsRemoved.length === 0) others.push(home && p.target.startsWith(`${home}/`) ? `~${p.target.slice(home.length)}` : p.target);
  });
  if (unit?.effect === "create") parts.push(acted(["start", "restart"]) ? "containerd installed and running" : "containerd installed");
  else if (unit?.effect === "remove") parts.push("containerd uninstalled");
  else if (unit || previews.some((p, i) => steps[i]?.kind === "copy" && p.willChange)) parts.push(acted(["restart", "start"]) ? "containerd updated and restarted" : "containerd updated");
  else if (acted(["start"])) parts.push("containerd started");
  else if (acted(["restart"])) parts.push("containerd restarted");
  if (settings.size) parts.push(`${plural(settings.size, "setting")} changed`);
  if (addonsAdded.length) parts.push(`${addonsAdded.join(", ")} added`);
  if (addonsRemoved.length) parts.push(`${addonsRemoved.join(", ")} removed`);
  if (others.length) parts.push(`${plural(others.length, "other file")} changed (${[...new Set(others)].join(", ")})`);
  return parts;
}

/** The summary line: "containerd installed and running; 1 setting changed; nothing else touched". */
export function summaryLine(parts: readonly string[]): string {
  return parts.length ? `${[...new Set(parts)].join("; ")}; nothing else touched` : "nothing changed; the machine was already like this";
}
