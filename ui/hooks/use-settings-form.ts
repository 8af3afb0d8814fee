// The values typed into the settings form, validated on every keystroke by the settings
// model's own validators (the same ones `configure` uses).
import { useState } from "react";
import type { SettingField } from "../engine/types.ts";

export interface SettingsForm {
  values: Record<string, string>;
  errors: Record<string, string | undefined>;
  valid: boolean;
  type(key: string, text: string): void;
  erase(key: string): void;
  cycle(key: string, choices: string[], by: 1 | -1): void;
}

export function useSettingsForm(fields: SettingField[], initial: Record<string, string>): SettingsForm {
  const [values, setValues] = useState<Record<string, string>>(initial);
  const errors: Record<string, string | undefined> = {};
  for (const f of fields) {
    const v = values[f.key] ?? "";
    errors[f.key] = v === "" ? undefined : f.validate(v, values);
  }
  const set = (key: string, next: (v: string) => string) => setValues((vs) => ({ ...vs, [key]: next(vs[key] ?? "") }));
  return {
    values,
    errors,
    valid: Object.values(errors).every((e) => !e),
    type: (key, text) => set(key, (v) => v + text),
    erase: (key) => set(key, (v) => v.slice(0, -1)),
    cycle: (key, choices, by) =>
      set(key, (v) => {
        // "" (the default) sits before the first choice
        const all = ["", ...choices];
        const i = all.indexOf(v);
        return all[(i + by + all.length) % all.length]!;
      }),
  };
}
