// Choose what to install: containerd (always, from the distribution or the nerdctl-full bundle:
// `c` switches) and the add-ons, each with its availability — with the bundle chosen, the add-ons
// it brings are available ("comes with nerdctl-full vX").
import { useEffect, useRef, useState } from "react";
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { followCursor, multiSelectRows } from "../components/multi-select.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { useAddons } from "../hooks/use-addons.ts";
import { useComponents } from "../hooks/use-components.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import type { Addon, SettingField } from "../engine/types.ts";

export function ChooseScreen({ initial, initialComponents, onNext, onBack }: { initial: string[] | null; initialComponents?: boolean; onNext: (addons: string[], all: Addon[], components: boolean, bundleFields: SettingField[]) => void; onBack: () => void }) {
  const theme = useTheme();
  const addons = useAddons();
  const offer = useComponents();
  const [bundle, setBundle] = useState<boolean | undefined>(initialComponents);
  const useBundle = bundle ?? offer.value?.selected === "bundle";
  const bundleChoice = offer.value?.choices.find((c) => c.id === "bundle");
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const [cursor, setCursor] = useState(0);
  const [picked, setPicked] = useState<Set<string> | null>(initial ? new Set(initial) : null);
  const list = addons.value ?? [];
  const selected = picked ?? new Set(list.filter((a) => a.installed).map((a) => a.id));
  const rows: Row[] = [
    <Text key="cd" wrap="truncate-end">
      {"  [x] containerd"}
      <Text dimColor> (always: the rootless daemon as containerd.service)</Text>
    </Text>,
  ];
  if (offer.value) {
    rows.push(<Text key="cs" wrap="truncate-end">{"      containerd and RootlessKit:"}<Text dimColor> (c switches)</Text></Text>);
    for (const c of offer.value.choices) {
      const on = (c.id === "bundle") === useBundle;
      rows.push(
        <Text key={`c.${c.id}`} wrap="truncate-end" dimColor={Boolean(c.disabledReason)}>
          {`        (${on ? "•" : " "}) ${c.label}`}
          {c.disabledReason ? <Text dimColor>{` — not available: ${c.disabledReason}`}</Text> : null}
        </Text>,
      );
    }
  }
  rows.push(blankRow("b0"));
  if (addons.loading) rows.push(<Text key="l"><Spinner color={theme.accent} /> Looking for add-ons…</Text>);
  if (addons.error) rows.push(...textRows("err", `Could not list the add-ons: ${addons.error}`, width, { color: theme.error }));
  if (addons.value && list.length === 0) rows.push(...textRows("none", "No add-ons are registered in this build.", width, { dimColor: true }));
  const bundled = (a: Addon) => useBundle && !a.available && !a.installed && Boolean(a.via);
  const usable = (a: Addon) => a.available || a.installed || bundled(a);
  const items = list.map((a) => ({ id: a.id, label: a.title, summary: a.summary, disabledReason: usable(a) ? undefined : (a.reason ?? "not available"), note: a.installed ? "installed" : bundled(a) ? `comes with ${a.via}` : undefined }));
  const ms = multiSelectRows(items, selected, cursor, width, theme);
  rows.push(...ms.rows);
  const [offset, setOffset] = useState(0);
  const shown = followCursor(offset, ms.cursorRow + rows.length - ms.rows.length, height);
  if (shown !== offset) setOffset(shown);
  // several keys may arrive in one chunk: cursor and ticks from refs, not this render's state
  const cursorRef = useRef(cursor);
  const enterRef = useRef(false);
  const ready = Boolean(addons.value) && !offer.loading;
  // one ticked through the bundle, then the bundle switched off, is dropped
  const goOn = () => {
    enterRef.current = false;
    onNext(list.filter((a) => pickedRef.current.has(a.id) && usable(a)).map((a) => a.id), list, useBundle, offer.value?.fields ?? []);
  };
  const pickedRef = useRef(selected);
  pickedRef.current = selected;
  useKeys(
    (input, key) => {
      if (key.upArrow || key.downArrow) {
        cursorRef.current = Math.max(0, Math.min(items.length - 1, cursorRef.current + (key.upArrow ? -1 : 1))); // 0 while none are listed yet
        setCursor(cursorRef.current);
      } else if (input === " " && items[cursorRef.current] && !items[cursorRef.current]!.disabledReason) {
        const id = items[cursorRef.current]!.id;
        const next = new Set(pickedRef.current);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        pickedRef.current = next;
        setPicked(next);
      } else if (input === "c" && bundleChoice && !bundleChoice.disabledReason) {
        setBundle(!useBundle);
      } else if (key.return) {
        // Enter while the add-ons are still being looked at goes on once they are (typed ahead, not lost)
        enterRef.current = true;
        if (ready) goOn();
      }
    },
    { escBack: onBack },
  );
  useEffect(() => {
    if (ready && enterRef.current) goOn();
  });
  return (
    <Screen
      title="Choose what to install"
      rows={rows}
      height={height}
      offset={shown}
      keys={[["↑↓", "move"], ["Space", "tick"], ["c", "containerd from"], ["Enter", "settings"], ["Esc", "back"], ["q", "quit"]]}
    />
  );
}
