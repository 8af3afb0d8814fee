import { useEngine } from "../contexts/app-context.tsx";
import { useAsync } from "./use-async.ts";

export const useSettingsFields = () => {
  const engine = useEngine();
  return useAsync(() => engine.settings(), [engine]);
};
