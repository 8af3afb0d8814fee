import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

export const useStatus = () => {
  const engine = useEngine();
  return useAsync(() => engine.status(), [engine]);
};
