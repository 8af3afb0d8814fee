// One row of screen content. Screens build their body as a list of rows (wrapped to the
// terminal width beforehand) so the viewport can scroll them and never overflow.
import { Text } from "ink";
import type { ReactElement } from "react";
import { wrapText } from "./wrap.ts";

export type Row = ReactElement;

export interface RowStyle {
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
}

/** Wrapped text as rows; `key` must be unique within the screen. */
export function textRows(key: string, text: string, width: number, style: RowStyle = {}, indent = ""): Row[] {
  return wrapText(text, width, indent).map((l, i) => (
    <Text key={`${key}.${i}`} wrap="truncate-end" {...style}>
      {l || " "}
    </Text>
  ));
}

export function blankRow(key: string): Row {
  return <Text key={key}> </Text>;
}
