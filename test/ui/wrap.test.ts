import { expect, test } from "bun:test";
import { wrapText } from "../../ui/components/wrap.ts";

test("wraps at word boundaries with a hanging indent", () => {
  expect(wrapText("one two three four five", 10, "  ")).toEqual(["one two", "  three", "  four", "  five"]);
});

test("a word longer than a row fills the current row, then continues indented", () => {
  const rows = wrapText("create    /home/alice/.config/systemd/user/containerd.service.d/override.conf", 40, "          ");
  expect(rows).toEqual(["create    /home/alice/.config/systemd/us", "          er/containerd.service.d/overri", "          de.conf"]);
  for (const r of rows) expect(r.length).toBeLessThanOrEqual(40);
});

test("paragraphs and empty lines are kept", () => {
  expect(wrapText("a\n\nb", 10)).toEqual(["a", "", "b"]);
});

// display width, not string length: what the terminal draws (string-width, as Ink measures)
import stringWidth from "string-width";

test("CJK text takes two columns a character: rows fit the width and no character is split", () => {
  const text = "コンテナを再起動します。実行中のコンテナは停止します。";
  const rows = wrapText(text, 20);
  for (const r of rows) expect(stringWidth(r)).toBeLessThanOrEqual(20);
  expect(rows.join("")).toBe(text);
  expect(rows[0]).toBe("コンテナを再起動しま"); // 10 characters = 20 columns, where .length would have put 20
});

test("emoji and combining marks: a family emoji is one 2-column character, é with a combining accent one column", () => {
  const family = "👨‍👩‍👧";
  const rows = wrapText(`${family.repeat(8)}`, 10);
  expect(rows).toEqual([family.repeat(5), family.repeat(3)]);
  const accents = "e\u0301".repeat(12);
  expect(wrapText(`ok ${accents}`, 12)).toEqual(["ok", accents]); // 24 code units, 12 columns: fits one row
});

test("a wide word longer than an indented row fills the current row first, cut by columns, then continues indented", () => {
  const rows = wrapText("状態 インストール済み 実行中", 12, "  ");
  expect(rows).toEqual(["状態 インス", "  トール済み", "  実行中"]);
  for (const r of rows) expect(stringWidth(r)).toBeLessThanOrEqual(12);
});
