// Runs an engine call once (or when `deps` change) and exposes its value or error.
import { useEffect, useState, type DependencyList } from "react";

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
      (e) => live && setState({ error: (e as Error)?.message ?? String(e), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
