// The RootlessKit settings and the chosen add-ons' options: defaults shown, each value
// validated as it is typed. Empty means "keep the default".
import { useRef, useState } from "react";
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { fieldRows } from "../components/field-rows.tsx";
import { followCursor } from "../components/multi-select.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { useSettingsFields } from "../hooks/use-settings-fields.ts";
import { useSettingsForm } from "../hooks/use-settings-form.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import type { Addon, SettingField } from "../engine/types.ts";

/** Add-on options become fields keyed "addon.option". */
function addonFields(addons: Addon[]): SettingField[] {
  return addons.flatMap((a) =>
    a.options.map((o) => ({
      key: `${a.id}.${o.key}`,
      label: `${a.title}: ${o.label}`,
      defaultValue: o.default ?? "",
      choices: o.choices,
      validate: (v: string) => (o.choices && !o.choices.includes(v) ? `must be one of ${o.choices.join(", ")}` : undefined),
    })),
  );
}

type Values = Record<string, string>;
/** the values the user set (empty fields keep their defaults) */
const setValues = (values: Values): Values => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));

/** `onBack` gets the values typed so far, so coming back to this screen shows them again. The bundle's fields (when it is chosen) come first. */
export function SettingsScreen({ bundleFields = [], ...props }: { addons: Addon[]; bundleFields?: SettingField[]; initial: Values; onNext: (values: Values) => void; onBack: (values?: Values) => void }) {
  const settings = useSettingsFields();
  const theme = useTheme();
  if (!settings.value) {
    const rows: Row[] = settings.error
      ? [<Text key="e" color={theme.error}>Could not load the settings: {settings.error}</Text>]
      : [<Text key="l"><Spinner color={theme.accent} /> Reading the current settings…</Text>];
    return <SettingsFrame rows={rows} offset={0} onBack={props.onBack} />;
  }
  return <SettingsForm {...props} fields={[...bundleFields, ...settings.value, ...addonFields(props.addons)]} />;
}

function SettingsFrame({ rows, offset, onBack }: { rows: Row[]; offset: number; onBack: () => void }) {
  const { bodyHeight } = useLayout();
  useKeys(() => {}, { escBack: () => onBack() });
  return <Screen title="Settings" rows={rows} height={bodyHeight(0)} offset={offset} keys={[["↑↓", "field"], ["type", "edit"], ["←→", "choose"], ["Enter", "review"], ["Esc", "back"], ["Ctrl+C", "quit"]]} />;
}

function SettingsForm({ fields, initial, onNext, onBack }: { fields: SettingField[]; initial: Values; onNext: (values: Values) => void; onBack: (values: Values) => void }) {
  const theme = useTheme();
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const form = useSettingsForm(fields, initial);
  const [focus, setFocus] = useState(0);
  const [offset, setOffset] = useState(0);
  const rows: Row[] = textRows("intro", "Leave a value empty to keep the default. Values are checked against what is installed.", width, { dimColor: true });
  rows.push(blankRow("b0"));
  let focusRow = 0;
  fields.forEach((f, i) => {
    if (i === focus) focusRow = rows.length;
    rows.push(...fieldRows({ ...f, value: form.values[f.key] ?? "", error: form.errors[f.key] }, i === focus, width, theme));
  });
  const shown = followCursor(offset, focusRow, height);
  if (shown !== offset) setOffset(shown);
  // keys can arrive several per chunk (fast typing, paste): read the focus from a ref,
  // not from this render's state
  const focusRef = useRef(focus);
  const move = (by: number) => {
    focusRef.current = Math.min(fields.length - 1, Math.max(0, focusRef.current + by));
    setFocus(focusRef.current);
  };
  const submit = () => {
    const now = form.latest();
    if (now.valid) onNext(setValues(now.values));
  };
  useKeys(
    (input, key) => {
      const f = fields[focusRef.current];
      if (key.upArrow || (key.shift && key.tab)) move(-1);
      else if (key.downArrow || key.tab) move(1);
      else if (key.return) submit();
      else if (!f) return;
      else if (f.choices && (key.leftArrow || key.rightArrow)) form.cycle(f.key, f.choices, key.leftArrow ? -1 : 1);
      else if (key.backspace || key.delete) form.erase(f.key);
      else if (input && !key.ctrl && !key.meta) {
        // text, possibly several keys at once (fast typing over a slow link, a paste): its
        // printable characters are typed; an Enter (\r) in it submits; a pasted \n is dropped
        const [text = "", ...afterEnter] = input.split("\r");
        const printable = text.replace(/[^\x20-\x7e]/g, "");
        if (printable) form.type(f.key, printable);
        if (afterEnter.length) submit();
      }
    },
    { escBack: () => onBack(setValues(form.latest().values)), typing: true },
  );
  return (
    <Screen
      title="Settings"
      rows={rows}
      height={height}
      offset={shown}
      keys={[["↑↓", "field"], ["type", "edit"], ["←→", "choose"], [form.valid ? "Enter" : "fix errors", "review"], ["Esc", "back"], ["Ctrl+C", "quit"]]}
    />
  );
}
