// The preflight checks, with each probe group reported as it starts and finishes.
import { useEffect, useState } from "react";
import type { Finding } from "../../src/core/checks/findings.ts";
import { useEngine } from "../contexts/app-context.tsx";
import type { CheckGroup } from "../engine/types.ts";
import { errorText } from "./use-async.ts";

export interface ChecksState {
  groups: CheckGroup[];
  findings?: Finding[];
  error?: string;
}

export function useChecks(): ChecksState {
  const engine = useEngine();
  const [state, setState] = useState<ChecksState>({ groups: [] });
  useEffect(() => {
    let live = true;
    const onGroup = (g: CheckGroup) => {
      if (!live) return;
      setState((s) => {
        const i = s.groups.findIndex((x) => x.id === g.id);
        const groups = i < 0 ? [...s.groups, g] : s.groups.map((x, j) => (j === i ? g : x));
        return { ...s, groups };
      });
    };
    engine.checks(onGroup).then(
      (findings) => live && setState((s) => ({ ...s, findings })),
      (e) => live && setState((s) => ({ ...s, error: errorText(e) })),
    );
    return () => {
      live = false;
    };
  }, [engine]);
  return state;
}
