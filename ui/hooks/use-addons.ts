import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

/** The add-ons and their availability; with `components`, as if the nerdctl-full bundle were fetched. */
export const useAddons = (components = false) => {
  const engine = useEngine();
  return useAsync(() => engine.addons({ components }), [engine, components]);
};
