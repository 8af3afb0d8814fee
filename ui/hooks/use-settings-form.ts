// The values typed into the settings form, validated on every keystroke by the settings
// model's own validators (the same ones `configure` uses).
import { useRef, useState } from "react";
import type { SettingField } from "../engine/types.ts";

export interface SettingsForm {
  values: Record<string, string>;
  errors: Record<string, string | undefined>;
  valid: boolean;
  /**
   * The values with every key handled so far, and whether they are valid. Keys can arrive
   * several in one chunk (fast typing, paste), all handled before the next render: an Enter
   * at the end of a chunk must see the text typed before it, which `values` does not yet.
   */
  latest(): { values: Record<string, string>; valid: boolean };
  type(key: string, text: string): void;
  erase(key: string): void;
  cycle(key: string, choices: string[], by: 1 | -1): void;
}

function problems(fields: SettingField[], values: Record<string, string>): Record<string, string | undefined> {
  const errors: Record<string, string | undefined> = {};
  for (const f of fields) {
    const v = values[f.key] ?? "";
    errors[f.key] = v === "" ? undefined : f.validate(v, values);
  }
  return errors;
}

const allValid = (errors: Record<string, string | undefined>) => Object.values(errors).every((e) => !e);

export function useSettingsForm(fields: SettingField[], initial: Record<string, string>): SettingsForm {
  const [values, setValues] = useState<Record<string, string>>(initial);
  const current = useRef(values);
  const errors = problems(fields, values);
  const set = (key: string, next: (v: string) => string) => {
    current.current = { ...current.current, [key]: next(current.current[key] ?? "") };
    setValues(current.current);
  };
  return {
    values,
    errors,
    valid: allValid(errors),
    latest: () => ({ values: current.current, valid: allValid(problems(fields, current.current)) }),
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
