// Keyboard handling shared by every screen: q / Esc / Ctrl+C go to the quit guard (which
// decides whether quitting is safe now); everything else goes to the screen's handler.
// Inside the app, keys come from the app's one listener (contexts/keys-context.tsx), so a key
// typed the moment a screen shows is not lost; a screen rendered alone listens itself.
import { useLayoutEffect, useRef } from "react";
import { useInput, type Key } from "ink";
import { useQuit } from "../contexts/quit-context.tsx";
import { useKeyHandlers, type KeyHandler } from "../contexts/keys-context.tsx";

export interface KeyOptions {
  /** Esc goes back instead of quitting */
  escBack?: () => void;
  /** the screen takes text: q is a letter (Ctrl+C and Esc still leave) */
  typing?: boolean;
  /** what quitting means here, when not the guard's default (e.g. exit 1 after a failure) */
  quit?: () => void;
}

export function useKeys(handler: (input: string, key: Key) => void, opts: KeyOptions = {}) {
  const guard = useQuit();
  const quit = () => (opts.quit ? opts.quit() : guard.request());
  const onKey: KeyHandler = (input, key) => {
    if (key.ctrl && input === "c") return quit();
    if (key.escape) return opts.escBack ? opts.escBack() : quit();
    if (!opts.typing && input === "q") return quit();
    handler(input, key);
  };
  // the latest render's handler, as useInput would call it
  const latest = useRef({ current: onKey }).current;
  latest.current = onKey;
  const router = useKeyHandlers();
  useLayoutEffect(() => {
    if (!router) return;
    router.add(latest);
    return () => void router.delete(latest);
  }, [router, latest]);
  useInput(onKey, { isActive: !router });
}
