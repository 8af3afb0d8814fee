// The engine, loaded after the first frame: the screens render at once while the engine
// modules (checks, planners, plugins, confbox...) load in the background. Each call waits
// for the load; `sudoBlock` is only needed after `checks` resolved, so it is loaded by then.
import type { Host } from "../../src/core/os/host.ts";
import type { Engine } from "./types.ts";

export function lazyEngine(host: Host): Engine {
  let loaded: Engine | null = null;
  const ready = import("./create-engine.ts").then((m) => (loaded = m.createEngine(host)));
  const later =
    <K extends keyof Engine>(k: K) =>
    async (...args: unknown[]) =>
      ((await ready)[k] as (...a: unknown[]) => unknown)(...args);
  return {
    environment: later("environment") as Engine["environment"],
    checks: later("checks") as Engine["checks"],
    sudoBlock: (findings) => {
      if (!loaded) throw new Error("engine not loaded yet");
      return loaded.sudoBlock(findings);
    },
    addons: later("addons") as Engine["addons"],
    components: later("components") as Engine["components"],
    settings: later("settings") as Engine["settings"],
    status: later("status") as Engine["status"],
    plan: later("plan") as Engine["plan"],
    uninstallPlan: later("uninstallPlan") as Engine["uninstallPlan"],
    apply: later("apply") as Engine["apply"],
    nextSteps: later("nextSteps") as Engine["nextSteps"],
    verify: later("verify") as Engine["verify"],
  };
}
