// One keyboard listener for the whole app, subscribed once and never between screens.
//
// Ink's useInput subscribes in a passive effect, which runs some time after the frame is on
// the terminal: a key typed as soon as a new screen shows (a fast user, a script driving the
// installer, a loaded machine) could arrive before the new screen listens, and was lost. Here
// the listener stays subscribed for the app's lifetime, and each screen's handler is put in
// place in a layout effect — in the same commit that writes its frame, before any key can be
// read — so a key always reaches the screen it was typed at.
import { createContext, useContext, useRef, type ReactNode } from "react";
import { useInput, type Key } from "ink";

export type KeyHandler = (input: string, key: Key) => void;

/** The handlers of the mounted screens, in mount order (all get every key, as with useInput). */
export type KeyHandlers = Set<{ current: KeyHandler }>;

const KeysContext = createContext<KeyHandlers | null>(null);

export function KeysProvider({ children }: { children: ReactNode }) {
  const handlers = useRef<KeyHandlers>(new Set()).current;
  useInput((input, key) => {
    for (const h of [...handlers]) h.current(input, key);
  });
  return <KeysContext.Provider value={handlers}>{children}</KeysContext.Provider>;
}

/** null outside a KeysProvider (a screen rendered alone in a component test). */
export const useKeyHandlers = () => useContext(KeysContext);
