import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

/** Where containerd and RootlessKit may come from (the engine words the choices). */
export const useComponents = () => {
  const engine = useEngine();
  return useAsync(() => engine.components(), [engine]);
};
