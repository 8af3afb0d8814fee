// What every screen reads: the engine adapter, the colours, the version.
import { createContext, useContext, type ReactNode } from "react";
import type { Engine } from "../engine/types.ts";
import type { Theme } from "../theme.ts";

export interface AppContextValue {
  engine: Engine;
  theme: Theme;
  version: string;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ value, children }: { value: AppContextValue; children: ReactNode }) {
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

export function useAppContext(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error("useAppContext outside AppProvider");
  return v;
}

export const useEngine = (): Engine => useAppContext().engine;
export const useTheme = (): Theme => useAppContext().theme;
