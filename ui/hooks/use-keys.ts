// Keyboard handling shared by every screen: q / Esc / Ctrl+C go to the quit guard (which
// decides whether quitting is safe now); everything else goes to the screen's handler.
import { useInput, type Key } from "ink";
import { useQuit } from "../contexts/quit-context.tsx";

export function useKeys(handler: (input: string, key: Key) => void, opts: { escBack?: () => void; typing?: boolean } = {}) {
  const quit = useQuit();
  useInput((input, key) => {
    if (key.ctrl && input === "c") return quit.request();
    if (key.escape) return opts.escBack ? opts.escBack() : quit.request();
    if (!opts.typing && input === "q") return quit.request();
    handler(input, key);
  });
}
