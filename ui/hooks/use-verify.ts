// verify's probes after an apply, line by line as they conclude. While they run the quit guard
// is busy: a q stops the containers and removes what verify created before the app exits.
import { useEffect, useRef, useState } from "react";
import { useEngine } from "../contexts/app-context.tsx";
import { useQuit } from "../contexts/quit-context.tsx";
import type { VerifyLine, VerifyView } from "../engine/types.ts";
import { errorText } from "./use-async.ts";

export interface VerifyState {
  lines: VerifyLine[];
  view?: VerifyView;
}

export function useVerify(run: boolean): VerifyState | null {
  const engine = useEngine();
  const quit = useQuit();
  const started = useRef(false);
  const [state, setState] = useState<VerifyState>({ lines: [] });
  useEffect(() => {
    if (!run || started.current) return;
    started.current = true;
    const signal = quit.enterBusy();
    engine
      .verify((line) => setState((s) => ({ ...s, lines: [...s.lines, line] })), signal)
      .catch((e): VerifyView => ({ ok: false, lines: [], summary: `verify could not run: ${errorText(e)}` }))
      .then((view) => setState((s) => ({ ...s, view })));
  }, [engine, run, quit]);
  useEffect(() => {
    if (state.view) quit.leaveBusy();
  }, [state.view, quit]);
  return run ? state : null;
}
