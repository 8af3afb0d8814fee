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
