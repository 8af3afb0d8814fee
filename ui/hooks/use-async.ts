// Runs an engine call once (or when `deps` change) and exposes its value or error.
import { useEffect, useState, type DependencyList } from "react";
import { sudoBlock } from "../../src/core/checks/findings.ts";

export interface AsyncState<T> {
  value?: T;
  error?: string;
  loading: boolean;
}

export function useAsync<T>(run: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ loading: true });
  useEffect(() => {
    let live = true;
    setState({ loading: true });
    run().then(
      (value) => live && setState({ value, loading: false }),
      (e) => live && setState({ error: errorText(e), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

/** An engine error as the user should read it: what failed, then the fix (UserError) when there is one. */
export function errorText(e: unknown): string {
  const err = e as { message?: string; fix?: string; sudoFix?: string[] };
  const lines = [err?.message ?? String(e)];
  if (err?.fix) lines.push(err.fix);
  if (err?.sudoFix?.length) lines.push(sudoBlock(err.sudoFix));
  return lines.join("\n");
}
