// Renders a screen (or the whole app) with ink-testing-library inside the providers, at a
// chosen terminal size, and waits for frames by condition (never a fixed sleep).
import type { ReactElement } from "react";
import { render } from "ink-testing-library";
import { AppProvider } from "../../ui/contexts/app-context.tsx";
import { QuitProvider } from "../../ui/contexts/quit-context.tsx";
import { KeysProvider } from "../../ui/contexts/keys-context.tsx";
import { themeFor } from "../../ui/theme.ts";
import type { Engine } from "../../ui/engine/types.ts";

export const KEY = { enter: "\r", esc: "\x1b", up: "\x1b[A", down: "\x1b[B", left: "\x1b[D", right: "\x1b[C", space: " ", ctrlC: "\x03", backspace: "\x7f", pageDown: "\x1b[6~" };

export interface Harness {
  lastFrame(): string;
  press(...keys: string[]): Promise<void>;
  waitFor(what: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  resize(cols: number, rows: number): void;
  quits: number[];
  unmount(): void;
}

/**
 * `onFrame` sees every frame as Ink writes it (a key sent from there arrives the moment the
 * frame is out, as from a fast user or a script).
 */
export function renderWith(node: ReactElement, engine: Engine, opts: { cols?: number; rows?: number; env?: Record<string, string>; onFrame?: (frame: string, stdin: { write(s: string): void }) => void } = {}): Harness {
  const quits: number[] = [];
  const inst = render(
    <AppProvider value={{ engine, theme: themeFor(opts.env ?? {}), version: "9.9.9" }}>
      <QuitProvider onQuit={(c) => quits.push(c)}>
        <KeysProvider>{node}</KeysProvider>
      </QuitProvider>
    </AppProvider>,
  );
  if (opts.onFrame) {
    const write = inst.stdout.write.bind(inst.stdout);
    inst.stdout.write = (frame: string) => {
      write(frame);
      opts.onFrame!(frame, inst.stdin);
    };
  }
  const resize = (cols: number, rows: number) => {
    Object.defineProperty(inst.stdout, "columns", { value: cols, configurable: true });
    Object.defineProperty(inst.stdout, "rows", { value: rows, configurable: true });
    inst.stdout.emit("resize");
  };
  resize(opts.cols ?? 80, opts.rows ?? 24);
  const frame = () => inst.lastFrame() ?? "";
  const waitFor: Harness["waitFor"] = async (what, timeoutMs = 5000) => {
    const pred = typeof what === "function" ? what : typeof what === "string" ? (s: string) => s.includes(what) : (s: string) => what.test(s);
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (pred(frame())) return frame();
      await Bun.sleep(5);
    }
    throw new Error(`timed out waiting for ${String(what)}; last frame:\n${frame()}`);
  };
  return {
    lastFrame: frame,
    // Ink reads input asynchronously: leave a short gap between keys
    press: async (...keys) => {
      for (const k of keys) {
        await Bun.sleep(15); // one key per chunk, as typed
        inst.stdin.write(k);
        await Bun.sleep(k === KEY.esc ? 80 : 15);
      }
    },
    waitFor,
    resize,
    quits,
    unmount: () => inst.unmount(),
  };
}
