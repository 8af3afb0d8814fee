// `configure`: RootlessKit settings as flags instead of a hand-written override.conf.
// Thin: parse the flags, let the engine validate and plan, show, apply, report.
import { defineCommand } from "citty";
import "../plugins/index.ts"; // every add-on registers itself (a restart waits until the running ones answer again): the composition happens here, at the edge
import { outputArgs, applyArgs, runContext, consent, verifyArgs, endWithVerify } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { withRunLock } from "../core/plan/recover.ts";
import { findSetting, rawSettingsFromFlags, SETTINGS, type SettingKey } from "../core/rootlesskit/settings.ts";
import { configureWarnings, planConfigure, showSettings } from "../core/rootlesskit/configure.ts";
import { applyConfigure } from "../core/rootlesskit/configure-steps.ts";

export const examples = [
  "containerd-rootless-systemd configure --show",
  "containerd-rootless-systemd configure --mtu 1500 --yes",
  "containerd-rootless-systemd configure --detach-netns false --slirp4netns-sandbox true --yes",
  'containerd-rootless-systemd configure --flags="--cidr=10.0.9.0/24" --yes',
  "containerd-rootless-systemd configure --reset mtu --reset net --yes",
  "containerd-rootless-systemd configure --https-proxy http://proxy.example.com:3128 --no-proxy localhost,.example.com --yes",
];

const settingArgs = Object.fromEntries(
  SETTINGS.map((s) => [s.flag.slice(2), { type: "string" as const, description: `${s.description}${s.values ? ` (${s.values.join("|")})` : ""}; default: ${s.defaultText}` }]),
);

export const completions = Object.fromEntries(SETTINGS.filter((s) => s.values).map((s) => [s.flag.slice(2), () => [...s.values!]]));

export default defineCommand({
  meta: { name: "configure", description: "Change the RootlessKit and proxy settings of rootless containerd (override.conf), restart and verify" },
  args: {
    ...settingArgs,
    reset: { type: "string", description: "Return a setting to its default (e.g. --reset mtu); repeatable or comma-separated" },
    show: { type: "boolean", description: "Print each effective value and where it comes from (default, drop-in, environment, environment file)" },
    ...applyArgs,
    ...verifyArgs,
    ...outputArgs,
  },
  async run({ args, rawArgs, data }) {
    const ctx = runContext(data, args);
    const { host, paths, reporter } = ctx;
    if (args.show) {
      const shown = await showSettings(host, paths);
      for (const e of shown.effective) {
        const where = e.source === "drop-in" ? `drop-in ${e.file}` : e.source === "environment-file" ? `environment file ${e.file} (EnvironmentFile= in ${e.via})` : e.source;
        reporter.plain(`${e.flag.slice(2).padEnd(20)} ${(e.resolved ?? e.value ?? "").padEnd(36)} ${where}${e.value === undefined ? "" : ` (${e.env}=${e.value})`}`);
      }
      if (shown.problem) reporter.error(shown.problem);
      reporter.result({ settings: shown.effective, problem: shown.problem ?? null });
      return shown.problem ? 1 : 0;
    }

    const reset: SettingKey[] = [];
    for (let i = 0; i < rawArgs.length; i++) {
      const a = rawArgs[i]!;
      const value = a === "--reset" ? rawArgs[++i] : a.startsWith("--reset=") ? a.slice(8) : undefined;
      for (const name of value?.split(",").filter(Boolean) ?? []) {
        const spec = findSetting(name);
        if (!spec) throw new UsageError(`--reset ${name}: no such setting`, `Settings: ${SETTINGS.map((s) => s.flag.slice(2)).join(", ")}`);
        reset.push(spec.key);
      }
    }
    const set = rawSettingsFromFlags(args as Record<string, unknown>);
    // citty reads `--no-proxy X` as "proxy is false" (and X as a stray word): take it from the raw arguments
    delete set.noProxy;
    for (let i = 0; i < rawArgs.length; i++) {
      const a = rawArgs[i]!;
      if (a === "--no-proxy") set.noProxy = rawArgs[++i] ?? "";
      else if (a.startsWith("--no-proxy=")) set.noProxy = a.slice("--no-proxy=".length);
    }
    for (const k of reset) if (set[k] !== undefined) throw new UsageError(`--${findSetting(k)!.flag.slice(2)} is both set and reset`);
    if (Object.keys(set).length === 0 && reset.length === 0) {
      throw new UsageError("nothing to configure", "Pass a setting (e.g. --mtu 1500), --reset KEY, or --show.");
    }

    const plan = await planConfigure(host, paths, { set, reset });
    if (!plan.changed) {
      reporter.info(`${plan.path} already has these settings; nothing changed.`);
      reporter.result({ changed: false, path: plan.path });
      return 0;
    }
    if (plan.diff) reporter.plain(plan.diff);
    const warnings = await configureWarnings(host, paths, plan, { set, reset });
    for (const w of warnings) reporter.warn(w);
    if (args["dry-run"]) {
      reporter.info("Dry run: nothing changed. Applying would reload systemd and restart containerd.service.");
      reporter.result({ changed: false, dryRun: true, path: plan.path, diff: plan.diff });
      return 0;
    }
    const confirm = consent(ctx, args);
    if (confirm && !(await confirm(""))) {
      reporter.info("Nothing was changed.");
      return 0;
    }
    reporter.info("containerd.service will be restarted to apply the new settings (running containers stop).");
    const outcome = await withRunLock(host, paths, { purpose: "configure" }, reporter, () =>
      applyConfigure(host, paths, plan, { signal: ctx.signal, onEvent: (e) => e.type === "rollback" && reporter.warn(`Undoing: ${e.description}`) }),
    );
    reporter.info(plan.after === null ? `Removed ${plan.path}` : `Wrote ${plan.path}`);
    reporter.info(outcome.restarted ? "containerd.service restarted; RootlessKit runs with the new settings, and its network works." : "containerd.service is not running; the settings apply when it starts.");
    // the new settings are proven by containers (the running containerd only: nothing to look through otherwise)
    return endWithVerify(ctx, rawArgs, "configure", { changed: true, path: plan.path, restarted: outcome.restarted, diff: plan.diff, ...(warnings.length ? { warnings } : {}) }, outcome.restarted);
  },
});
