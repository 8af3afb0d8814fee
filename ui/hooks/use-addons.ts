import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

export const useAddons = () => {
  const engine = useEngine();
  return useAsync(() => engine.addons(), [engine]);
};
