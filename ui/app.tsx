// The installer's flow. Fresh machine: welcome -> checks -> choose -> settings -> review ->
// apply -> done. Already installed: status -> (add-ons | settings | uninstall) -> review ->
// apply -> done. Screens only choose and show; the engine plans and applies.
import { useCallback, useState } from "react";
import { useApp } from "ink";
import { AppProvider, type AppContextValue } from "./contexts/app-context.tsx";
import { QuitProvider } from "./contexts/quit-context.tsx";
import { KeysProvider } from "./contexts/keys-context.tsx";
import { useStatus } from "./hooks/use-status.ts";
import { WelcomeScreen } from "./screens/welcome.tsx";
import { ChecksScreen } from "./screens/checks.tsx";
import { ChooseScreen } from "./screens/choose.tsx";
import { SettingsScreen } from "./screens/settings.tsx";
import { ReviewScreen } from "./screens/review.tsx";
import { ApplyScreen } from "./screens/apply.tsx";
import { DoneScreen } from "./screens/done.tsx";
import { StatusScreen, type StatusAction } from "./screens/status.tsx";
import { LoadingScreen } from "./screens/loading.tsx";
import type { PlanRequest } from "./hooks/use-plan.ts";
import type { Addon, ApplyOutcome, Choices, InstalledState, PlanView, SettingField } from "./engine/types.ts";
import { componentsSource, componentsValues, isComponentsKey } from "./engine/components-source.ts";

type View =
  | { name: "start" }
  | { name: "welcome" }
  | { name: "checks"; run: number }
  | { name: "choose" }
  | { name: "settings"; back: "choose" | "home" }
  | { name: "review"; request: PlanRequest; earlier?: string[] }
  | { name: "apply"; plan: PlanView; earlier?: string[] }
  | { name: "done"; outcome: ApplyOutcome; plan: PlanView; earlier?: string[] };

export function App({ context, onExit, quitRequests }: { context: AppContextValue; onExit: (code: number) => void; quitRequests?: EventTarget }) {
  const { exit } = useApp();
  const leave = useCallback(
    (code: number) => {
      onExit(code);
      exit();
    },
    [onExit, exit],
  );
  return (
    <AppProvider value={context}>
      <QuitProvider onQuit={leave} external={quitRequests}>
        <KeysProvider>
          <Flow onExit={leave} />
        </KeysProvider>
      </QuitProvider>
    </AppProvider>
  );
}

function Flow({ onExit }: { onExit: (code: number) => void }) {
  const status = useStatus();
  const [view, setView] = useState<View>({ name: "start" });
  const [addons, setAddons] = useState<Addon[]>([]);
  // the bundle's version / source / checksum fields, when the bundle is chosen
  const [bundleFields, setBundleFields] = useState<SettingField[]>([]);
  const [choices, setChoices] = useState<Choices | null>(null);

  if (status.loading) return <LoadingScreen text="Reading the current state…" />;
  // unreadable (e.g. no systemd --user): treat as not installed; the checks say why
  const installed: InstalledState = status.value ?? { installed: false, active: false, detail: [], addons: [], settings: {} };
  const home = () => setView(installed.installed ? { name: "start" } : { name: "welcome" });
  const base = (): Choices => ({ addons: installed.addons.filter((a) => a.installed).map((a) => a.id), addonOptions: {}, settings: installed.settings });

  switch (view.name) {
    case "start":
      if (!installed.installed) return <WelcomeScreen notice={status.error && `Could not read the current state (${status.error}); the checks show why.`} onNext={() => setView({ name: "checks", run: 0 })} />;
      return <StatusScreen status={installed} onAction={(a: StatusAction) => onStatusAction(a)} />;
    case "welcome":
      return <WelcomeScreen onNext={() => setView({ name: "checks", run: 0 })} />;
    case "checks":
      return <ChecksScreen key={view.run} onNext={() => setView({ name: "choose" })} onRerun={() => setView({ name: "checks", run: view.run + 1 })} onBack={() => setView({ name: "welcome" })} />;
    case "choose":
      return (
        <ChooseScreen
          initial={choices?.addons ?? null}
          onBack={installed.installed ? home : () => setView({ name: "checks", run: 0 })}
          initialComponents={choices?.components}
          onNext={(ids, all, components, fields) => {
            setAddons(all.filter((a) => ids.includes(a.id)));
            setBundleFields(components ? fields : []);
            const { components: _was, ...rest } = choices ?? base();
            setChoices({ ...rest, addons: ids, ...(components ? { components } : {}) });
            setView({ name: "settings", back: "choose" });
          }}
        />
      );
    case "settings":
      return (
        <SettingsScreen
          addons={addons}
          bundleFields={view.back === "choose" ? bundleFields : []}
          initial={{ ...(choices ?? base()).settings, ...flattenOptions((choices ?? base()).addonOptions), ...componentsValues((choices ?? base()).componentsSource) }}
          onBack={(values) => {
            if (view.back === "home") return home();
            if (values) setChoices(splitValues(choices ?? base(), values));
            setView({ name: "choose" });
          }}
          onNext={(values) => {
            const next = splitValues(choices ?? base(), values);
            setChoices(next);
            setView({ name: "review", request: { kind: "choices", choices: next } });
          }}
        />
      );
    case "review":
      return (
        <ReviewScreen
          request={view.request}
          onBack={() => (view.request.kind === "uninstall" ? home() : setView({ name: "settings", back: installed.installed && addons.length === 0 ? "home" : "choose" }))}
          onApply={(plan) => setView({ name: "apply", plan, earlier: view.earlier })}
        />
      );
    case "apply":
      return (
        <ApplyScreen
          plan={view.plan}
          onExit={onExit}
          onDone={(outcome) =>
            // containerd is up (or the bundle is active): now plan what was waiting for it
            // (what this first part changed is carried to the done screen's summary)
            (view.plan.deferred?.length || view.plan.components) && choices
              ? setView({ name: "review", request: { kind: "choices", choices: { ...choices } }, earlier: [...(view.earlier ?? []), ...(view.plan.summary ?? [])] })
              : setView({ name: "done", outcome, plan: view.plan, earlier: view.earlier })
          }
        />
      );
    case "done":
      return <DoneScreen outcome={view.outcome} plan={view.plan} earlier={view.earlier} onExit={onExit} />;
  }

  function onStatusAction(a: StatusAction) {
    if (a === "addons") setView({ name: "choose" });
    else if (a === "settings") {
      setChoices(base());
      setView({ name: "settings", back: "home" });
    } else setView({ name: "review", request: { kind: "uninstall", purge: a === "purge" } });
  }
}

function flattenOptions(opts: Choices["addonOptions"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, o] of Object.entries(opts)) for (const [k, v] of Object.entries(o)) out[`${id}.${k}`] = v;
  return out;
}

/**
 * Form values back into choices: "components.*" keys are the bundle's source, "addon.option"
 * keys are add-on options (dropped when that add-on is no longer chosen), the rest settings
 * (whose keys have no dot).
 */
function splitValues(base: Choices, values: Record<string, string>): Choices {
  const settings: Record<string, string> = {};
  const addonOptions: Choices["addonOptions"] = {};
  for (const [k, v] of Object.entries(values)) {
    const dot = k.indexOf(".");
    if (isComponentsKey(k)) continue;
    if (dot < 0) settings[k] = v;
    else if (base.addons.includes(k.slice(0, dot))) (addonOptions[k.slice(0, dot)] ??= {})[k.slice(dot + 1)] = v;
  }
  const { componentsSource: _was, ...rest } = base;
  const source = componentsSource(values);
  return { ...rest, settings, addonOptions, ...(source ? { componentsSource: source } : {}) };
}
