// A settings field as rows: label, value (or the default, dimmed, when empty), and the
// validation message as the user types.
import { Text } from "ink";
import type { Theme } from "../theme.ts";
import { textRows, type Row } from "./line.tsx";

export interface FieldView {
  key: string;
  label: string;
  value: string;
  defaultValue: string;
  choices?: string[];
  error?: string;
}

export function fieldRows(f: FieldView, focused: boolean, width: number, theme: Theme): Row[] {
  const shown = f.value === "" ? `${f.defaultValue} (default)` : f.value;
  const rows: Row[] = [
    <Text key={`fld.${f.key}`} wrap="truncate-end" bold={focused} color={focused ? theme.accent : undefined}>
      {`${focused ? "›" : " "} ${f.label.padEnd(26)} `}
      <Text color={f.error ? theme.error : undefined} dimColor={f.value === ""} bold={false}>
        {f.choices && focused ? `‹ ${shown} ›` : shown}
      </Text>
      {focused && !f.choices ? <Text inverse> </Text> : null}
    </Text>,
  ];
  if (f.error) rows.push(...textRows(`err.${f.key}`, `    ${f.error}`, width, { color: theme.error }, "    "));
  else if (focused && f.choices) rows.push(...textRows(`ch.${f.key}`, `    one of: ${f.choices.join(", ")}`, width, { dimColor: true }, "    "));
  return rows;
}
