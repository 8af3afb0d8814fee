import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

export const useEnvironment = () => {
  const engine = useEngine();
  return useAsync(() => engine.environment(), [engine]);
};
