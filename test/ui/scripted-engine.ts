// A scripted Engine for component tests of the screens: fixed answers, recorded calls,
// and an apply whose steps advance when the test says so (to test cancelling mid-apply).
// The real adapter is tested against the engine on a TestHost (engine.test.ts).
import type { Finding } from "../../src/core/checks/findings.ts";
import type { Addon, ApplyOutcome, ComponentsOffer, ApplyProgress, CheckGroup, Engine, InstalledState, PlanView, SettingField, VerifyView } from "../../ui/engine/types.ts";

export const FACTS = { user: "alice (uid 1000)", distro: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-13-amd64", cgroup: "v2", rootlesskit: "1.1.0", containerd: "1.6.20" };

export const FINDINGS: Finding[] = [
  { id: "binaries.rootlesskit", level: "ok", message: "rootlesskit 1.1.0" },
  { id: "subid.missing", level: "error", message: "alice has no range in /etc/subuid", fix: "add a range of 65536 ids", sudoFix: ["echo alice:100000:65536 >> /etc/subuid"] },
  { id: "cgroup.v1", level: "warning", message: "cgroup v2 is not enabled" },
];

export const ADDONS: Addon[] = [
  { id: "fuse-overlayfs", title: "fuse-overlayfs snapshotter", summary: "overlay snapshots through FUSE", available: true, installed: false, options: [] },
  { id: "detach-netns", title: "detach-netns", summary: "faster pulls", available: false, reason: "needs RootlessKit >= 2.0 (found 1.1.0)", via: "nerdctl-full v2.2.2", installed: false, options: [] },
  { id: "buildkit", title: "BuildKit", summary: "nerdctl build", available: true, installed: false, options: [{ key: "worker", label: "worker", choices: ["oci", "containerd"], default: "oci" }] },
];

export const FIELDS: SettingField[] = [
  { key: "net", label: "Network driver", defaultValue: "slirp4netns", choices: ["slirp4netns", "vpnkit"], validate: () => undefined },
  { key: "mtu", label: "MTU", defaultValue: "65520", validate: (v) => (/^\d+$/.test(v) && +v >= 576 && +v <= 65520 ? undefined : "out of range: the MTU must be from 576 to 65520") },
];

export const PLAN: PlanView = {
  title: "Install containerd",
  steps: [
    { kind: "write", path: "/home/alice/.config/systemd/user/containerd.service", content: "[Unit]\n" },
    { kind: "systemctl", args: ["daemon-reload"] },
    { kind: "systemctl", args: ["start", "containerd.service"] },
  ],
  items: [
    { kind: "file", label: "Write ~/.config/systemd/user/containerd.service", detail: "the systemd user unit that runs containerd", effect: "create", diff: ["@@ -0,0 +1 @@", "+[Unit]"] },
    { kind: "command", label: "Reload systemd", effect: "act", diff: [] },
    { kind: "command", label: "Start containerd.service", effect: "act", diff: [] },
  ],
  summary: ["containerd installed and running"],
  unchanged: false,
  notes: [],
};

export const VERIFY: VerifyView = {
  ok: true,
  lines: [
    { id: "container", title: "A container starts", status: "pass", message: "a container started from a throwaway image on the overlayfs snapshotter" },
    { id: "limits", title: "Limits are enforced", status: "off", message: "not enforced: cgroup v1 (hybrid layout)", fix: "Boot with cgroup v2" },
  ],
  summary: "Containers work: 2 probes in 0.80 s, 1 passed, 1 off by a setting; nothing left behind.",
};

export interface Scripted extends Engine {
  calls: string[];
  /** resolves the checks (they stay "running" until then): the groups still running are done, the findings going to the first of them */
  finishChecks(findings?: Finding[]): void;
  /** one check group (by its index in `checkGroups`) is done while the others go on */
  finishGroup(index: number, findings: Finding[]): void;
  /** lets the apply run its next step */
  nextStep(): void;
  /** sends a progress event from the apply under way (a download's figures, say) */
  emit(p: ApplyProgress): void;
  lastSignal?: AbortSignal;
}

export const COMPONENTS: ComponentsOffer = {
  version: "2.3.5",
  selected: "distribution",
  choices: [
    { id: "distribution", label: "use the distribution's" },
    { id: "bundle", label: "fetch nerdctl-full v2.3.5 (230 MB)" },
  ],
  fields: [],
};

export function scriptedEngine(over: { status?: Partial<InstalledState>; addons?: Addon[]; components?: ComponentsOffer; fields?: SettingField[]; plan?: PlanView; manualApply?: boolean; checkGroups?: string[]; verify?: VerifyView } = {}): Scripted {
  const titles = over.checkGroups ?? ["Checking RootlessKit functionality"];
  let finish: (f: Finding[]) => void = () => {};
  let finishOne: (i: number, f: Finding[]) => void = () => {};
  const gates: (() => void)[] = [];
  let pendingSteps = 0;
  let emitTo: (p: ApplyProgress) => void = () => {};
  const e: Scripted = {
    calls: [],
    finishChecks: (f = FINDINGS) => finish(f),
    finishGroup: (i, f) => finishOne(i, f),
    nextStep: () => (gates.length ? gates.shift()!() : pendingSteps++),
    emit: (p) => emitTo(p),
    environment: async () => FACTS,
    checks: (onGroup: (g: CheckGroup) => void) => {
      e.calls.push("checks");
      titles.forEach((title, i) => onGroup({ id: String(i), title, state: "running", findings: [] }));
      const done = new Map<number, Finding[]>();
      finishOne = (i, f) => {
        done.set(i, f);
        onGroup({ id: String(i), title: titles[i]!, state: "done", findings: f });
      };
      return new Promise((resolve) => {
        finish = (f) => {
          const rest = titles.map((_, i) => i).filter((i) => !done.has(i));
          rest.forEach((i, j) => finishOne(i, j === 0 ? f : []));
          resolve(titles.flatMap((_, i) => done.get(i) ?? []));
        };
      });
    },
    sudoBlock: (f) => {
      const lines = f.flatMap((x) => x.sudoFix ?? []);
      return lines.length ? ["sudo sh -eux <<'EOF'", ...lines, "EOF"].join("\n") : "";
    },
    addons: async () => over.addons ?? ADDONS,
    components: async (opts) => {
      e.calls.push(`components${opts?.size ? " size" : ""}`);
      return over.components ?? COMPONENTS;
    },
    settings: async () => over.fields ?? FIELDS,
    status: async () => ({ installed: false, active: false, detail: [], addons: [], settings: {}, ...over.status }),
    plan: async (choices) => {
      e.calls.push(`plan ${JSON.stringify(choices)}`);
      return over.plan ?? PLAN;
    },
    uninstallPlan: async (purge) => {
      e.calls.push(`uninstall ${purge}`);
      return { ...(over.plan ?? PLAN), title: "Uninstall" };
    },
    apply: async (plan, onProgress: (p: ApplyProgress) => void, signal): Promise<ApplyOutcome> => {
      e.calls.push("apply");
      e.lastSignal = signal;
      emitTo = onProgress;
      for (let i = 0; i < plan.steps.length; i++) {
        if (i > 0 && signal.aborted) {
          for (let j = 0; j < i; j++) onProgress({ index: j, state: "undone" });
          return { ok: false, changed: false, cancelled: true, rolledBack: true, error: "cancelled by the user" };
        }
        onProgress({ index: i, state: "running" });
        if (over.manualApply) {
          if (pendingSteps > 0) pendingSteps--;
          else await new Promise<void>((r) => gates.push(r));
        }
        onProgress({ index: i, state: "done" });
      }
      return { ok: true, changed: true };
    },
    nextSteps: async () => ["Use `nerdctl` to connect, e.g. `nerdctl run -it --rm alpine`.", "sudo loginctl enable-linger alice"],
    verify: async (onLine, signal) => {
      e.calls.push("verify");
      e.lastSignal = signal;
      const view = over.verify ?? VERIFY;
      for (const l of view.lines) onLine(l);
      return view;
    },
  };
  return e;
}
