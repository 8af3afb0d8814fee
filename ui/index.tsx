// The interactive installer's entry (loaded lazily by src/cli.ts, only on a terminal).
// Ink owns the screen from here until exit: nothing may log through consola meanwhile;
// progress reaches the UI through the engine adapter's callbacks.
import { render } from "ink";
import { Host } from "../src/core/host.ts";
import { App } from "./app.tsx";
import { createEngine } from "./engine/create-engine.ts";
import { themeFor } from "./theme.ts";

export async function runInteractive({ version }: { version: string }): Promise<number> {
  const host = new Host();
  if (host.uid === 0) {
    host.writeErr("[ERROR] Refusing to install rootless containerd as the root user.\nRun it as the user who will use containerd (for a try-out as root: npm start).\n");
    return 1;
  }
  let code = 0;
  const context = { engine: createEngine(host), theme: themeFor(host.env), version };
  const app = render(<App context={context} onExit={(c) => (code = c)} />, { exitOnCtrlC: false, patchConsole: true });
  await app.waitUntilExit();
  return code;
}
