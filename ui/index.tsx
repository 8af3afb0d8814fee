// The interactive installer's entry (loaded lazily by src/cli.ts, only on a terminal).
// Ink owns the screen from here until exit: nothing may log through consola meanwhile;
// progress reaches the UI through the engine adapter's callbacks. Ctrl+C arrives as a key
// (raw mode); SIGTERM/SIGHUP/SIGINT from outside are quit requests like q, so an apply in
// progress still finishes its step and rolls back before the process ends.
import { render } from "ink";
import { Host } from "../src/core/os/host.ts";
import { App } from "./app.tsx";
import { lazyEngine } from "./engine/lazy-engine.ts";
import { themeFor } from "./theme.ts";

const SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT"] as const;

export async function runInteractive({ version }: { version: string }): Promise<number> {
  const host = new Host();
  if (host.uid === 0) {
    host.writeErr("[ERROR] Refusing to install rootless containerd as the root user.\nRun it as the user who will use containerd (to try it as root: npm start, which uses a throwaway user).\n");
    return 1;
  }
  let code = 0;
  const quitRequests = new EventTarget();
  const onSignal = () => quitRequests.dispatchEvent(new Event("quit"));
  for (const s of SIGNALS) process.on(s, onSignal);
  const context = { engine: lazyEngine(host), theme: themeFor(host.env), version };
  const app = render(<App context={context} quitRequests={quitRequests} onExit={(c) => (code = c)} />, { exitOnCtrlC: false, patchConsole: true });
  try {
    await app.waitUntilExit();
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  return code;
}
