// What the interactive installer needs from the engine, in one place. The real adapter
// (create-engine.ts) implements it with the same functions the headless commands call, so
// the UI only chooses and shows; component tests can hand screens a scripted Engine.
import type { Finding } from "../../src/core/checks/findings.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import type { StepEffect } from "../../src/core/plan/render.ts";
import type { ProgressFigures } from "../../src/core/components/progress.ts";

export interface EnvironmentFacts {
  user: string;
  distro: string;
  kernel: string;
  cgroup: string;
  rootlesskit: string | null;
  containerd: string | null;
}

/** One probe group as the checks screen shows it: a spinner while running, then its findings. */
export interface CheckGroup {
  id: string;
  title: string;
  state: "running" | "done";
  findings: Finding[];
}

export interface AddonOption {
  key: string;
  label: string;
  choices?: string[];
  default?: string;
}

export interface Addon {
  id: string;
  title: string;
  summary: string;
  available: boolean;
  /** why it is not available, with the fix */
  reason?: string;
  /** missing here, but the nerdctl-full bundle brings it: "nerdctl-full v2.2.2" (usable when the bundle is chosen) */
  via?: string;
  installed: boolean;
  options: AddonOption[];
}

/** One RootlessKit setting as the settings form shows it. */
export interface SettingField {
  key: string;
  label: string;
  /** the value used when the field is left empty */
  defaultValue: string;
  /** the value now in effect (drop-in), if any */
  current?: string;
  choices?: string[];
  /** error text for a value (given every value typed so far), or undefined when it is fine */
  validate(value: string, all: Readonly<Record<string, string>>): string | undefined;
}

/** What the user chose. Same shape whatever the screen path (fresh install or change). */
export interface Choices {
  addons: string[];
  addonOptions: Record<string, Record<string, string>>;
  /** only the settings the user set; the rest keep their defaults */
  settings: Record<string, string>;
  /** containerd and RootlessKit from the nerdctl-full bundle (`install --components`) instead of the distribution's */
  components?: boolean;
  /** where the bundle comes from when it is chosen (`--version`, `--from`, `--sha256`, `--insecure-http`); absent: the default release */
  componentsSource?: ComponentsSource;
}

export interface ComponentsSource {
  version?: string;
  /** a mirror URL or a local file */
  from?: string;
  sha256?: string;
  insecureHttp?: boolean;
}

/** Where containerd and RootlessKit come from: the choices the choose screen offers, worded by the engine. */
export interface ComponentsOffer {
  /** the bundle's version */
  version: string;
  selected: "distribution" | "bundle";
  choices: { id: "distribution" | "bundle"; label: string; disabledReason?: string }[];
  /** the bundle's version, source and checksum as settings fields (keys "components.*"), checked by the commands' own code */
  fields: SettingField[];
}

/** One step as the review shows it: its label (src/core/plan/label.ts), why it is there, what it does to its object, a diff for files. */
export interface PlanItem {
  kind: "file" | "command" | "wait";
  label: string;
  detail?: string;
  effect: StepEffect;
  diff: string[];
}

export interface PlanView {
  title: string;
  steps: Step[];
  items: PlanItem[];
  /** true when applying would change nothing */
  unchanged: boolean;
  /** what to tell the user after it is applied (add-on hints) */
  notes: string[];
  /** what applying it changes, as summary parts (src/core/lifecycle/summary.ts); absent: worked out from the steps */
  summary?: string[];
  /** add-on changes planned only once this plan has run (they need a running containerd) */
  deferred?: string[];
  /** the nerdctl-full bundle this plan fetches, verifies and activates (its one item); containerd's plan follows once it is active */
  components?: ComponentsSource & { version: string };
  /** a plan that starts containerd for the first time: the directories its launcher will create (removed while empty after a failure) */
  launcherDirs?: string[];
  /** applying it leaves containerd running with what was chosen: verify's probes follow it */
  verify?: boolean;
}

/** One of verify's probes as the done screen shows it (src/core/verify). */
export interface VerifyLine {
  id: string;
  title: string;
  /** pass; FAIL (should have worked); off (a setting says it cannot, `fix` changes it); n/a */
  status: "pass" | "FAIL" | "off" | "n/a";
  message: string;
  fix?: string;
}

export interface VerifyView {
  ok: boolean;
  lines: VerifyLine[];
  /** one line for the whole run, or why verify could not run */
  summary: string;
}

export type StepState = "pending" | "running" | "done" | "failed" | "undone" | "skipped";

export interface ApplyProgress {
  index: number;
  state: StepState;
  detail?: string;
  /** a download under way in this step: its figures, worded by the engine (src/core/components/progress.ts) */
  download?: ProgressFigures;
}

export interface ApplyOutcome {
  ok: boolean;
  changed: boolean;
  /** set when it failed or was cancelled: what happened, and what was rolled back */
  error?: string;
  cancelled?: boolean;
  rolledBack?: boolean;
  /** lines worth showing after a failure (systemctl status, journal) */
  diagnostics?: string[];
}

export interface InstalledState {
  installed: boolean;
  active: boolean;
  detail: string[];
  addons: { id: string; title: string; installed: boolean; active?: boolean }[];
  settings: Record<string, string>;
}

export interface Engine {
  environment(): Promise<EnvironmentFacts>;
  checks(onGroup: (group: CheckGroup) => void): Promise<Finding[]>;
  sudoBlock(findings: readonly Finding[]): string;
  addons(): Promise<Addon[]>;
  /** containerd and RootlessKit: the distribution's, or the nerdctl-full bundle; with `size`, its download size asked from the server (a few seconds at most) */
  components(opts?: { size?: boolean }): Promise<ComponentsOffer>;
  settings(): Promise<SettingField[]>;
  status(): Promise<InstalledState>;
  /** the plan that brings the machine to what was chosen */
  plan(choices: Choices): Promise<PlanView>;
  uninstallPlan(purge: boolean): Promise<PlanView>;
  apply(plan: PlanView, onProgress: (p: ApplyProgress) => void, signal: AbortSignal): Promise<ApplyOutcome>;
  /** the closing lines after a successful apply of `plan` */
  nextSteps(plan: PlanView | null): Promise<string[]>;
  /** verify's probes after an apply that changed the stack: each line as its probe concludes; `signal` (a quit) stops them, what they created is removed */
  verify(onLine: (line: VerifyLine) => void, signal: AbortSignal): Promise<VerifyView>;
}
