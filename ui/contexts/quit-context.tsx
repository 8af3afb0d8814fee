// The quit guard. Leaving is always safe except while a plan is being applied: then a quit
// request is remembered, the apply hook stops after the current step and rolls back, and
// the app exits once the machine is back where it was.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

export interface QuitGuard {
  /** q / Esc / Ctrl+C */
  request(): void;
  /** true from a quit asked for while busy until the busy section ends */
  pending: boolean;
  /** the apply hook marks the critical section; returns the signal that a quit was requested */
  enterBusy(): AbortSignal;
  leaveBusy(): void;
}

const QuitContext = createContext<QuitGuard | null>(null);

/**
 * `external` carries quit requests from outside the keyboard (SIGTERM, SIGHUP when the
 * terminal goes away): they get the same treatment as q.
 */
export function QuitProvider({ onQuit, external, children }: { onQuit: (code: number) => void; external?: EventTarget; children: ReactNode }) {
  const busy = useRef<AbortController | null>(null);
  const [pending, setPending] = useState(false);
  const [leaving, setLeaving] = useState<number | null>(null);
  const request = useCallback(() => {
    if (busy.current) {
      busy.current.abort();
      setPending(true);
      return;
    }
    onQuit(0);
  }, [onQuit]);
  useEffect(() => {
    if (!external) return;
    external.addEventListener("quit", request);
    return () => external.removeEventListener("quit", request);
  }, [external, request]);
  const enterBusy = useCallback(() => {
    busy.current = new AbortController();
    return busy.current.signal;
  }, []);
  const leaveBusy = useCallback(() => {
    const wasAborted = busy.current?.signal.aborted ?? false;
    busy.current = null;
    if (!wasAborted) return;
    // cancelled and rolled back: exit like an interrupted command, but only once a frame
    // without "Stopping…" is on screen (Ink's last frame stays on the terminal)
    setPending(false);
    setLeaving(130);
  }, []);
  useEffect(() => {
    if (leaving !== null) onQuit(leaving);
  }, [leaving, onQuit]);
  const value = useMemo(() => ({ request, pending, enterBusy, leaveBusy }), [request, pending, enterBusy, leaveBusy]);
  return <QuitContext.Provider value={value}>{children}</QuitContext.Provider>;
}

export function useQuit(): QuitGuard {
  const v = useContext(QuitContext);
  if (!v) throw new Error("useQuit outside QuitProvider");
  return v;
}
