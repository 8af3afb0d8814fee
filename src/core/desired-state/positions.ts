// Where a key sits in a desired-state file, for error messages ("rootless.toml:7:1").
// confbox returns plain objects without positions, so the text is scanned instead: each
// anchor of a path (a key such as "settings", "mtu", or a value such as "buildkit") is
// searched for after the position of the previous one, as a key token of the file's format
// (TOML `key =`, `[key]`, `key.`; YAML `key:`; JSON `"key":`) or, for values, as a quoted or
// bare word. The first match after the previous anchor wins. This is exact for the shapes
// the file accepts (a few short sections, keys unique within them); when an anchor is not
// found the position of the last found one is given, and with none, no position.
import type { DesiredFormat } from "./parse.ts";

/** A key of the path, or `{ value }` for an element found by its text (an add-on name). */
export type Anchor = string | { value: string };

export interface Position {
  line: number;
  column: number;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function keyPattern(key: string, format: DesiredFormat): RegExp {
  const k = esc(key);
  const names = `(?:"${k}"|'${k}'|${k})`;
  switch (format) {
    case "toml":
      return new RegExp(`(^|[\\s{,.\\[])(${names})\\s*(?:=|\\]|\\.)`, "gm");
    case "yaml":
      return new RegExp(`(^|[\\s{,-])(${names})\\s*:(?=\\s|$)`, "gm");
    case "json":
      return new RegExp(`()("${k}")\\s*:`, "gm");
  }
}

function valuePattern(value: string): RegExp {
  const v = esc(value);
  return new RegExp(`(^|[^\\w-])("${v}"|'${v}'|${v})(?![\\w-])`, "gm");
}

/** 1-based line and column of an offset. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** The position of the last anchor of `path` that can be found, scanning forward. */
export function locate(text: string, format: DesiredFormat, path: readonly Anchor[]): Position | undefined {
  let from = 0;
  let found: number | undefined;
  for (const anchor of path) {
    const re = typeof anchor === "string" ? keyPattern(anchor, format) : valuePattern(anchor.value);
    re.lastIndex = from;
    let m: RegExpExecArray | null;
    // skip matches inside comments (TOML and YAML `#` to the end of the line)
    while ((m = re.exec(text)) !== null) {
      const at = m.index + m[1]!.length;
      const lineStart = text.lastIndexOf("\n", at - 1) + 1;
      if (format !== "json" && /(^|\s)#/.test(text.slice(lineStart, at))) continue;
      break;
    }
    if (!m) break;
    found = m.index + m[1]!.length;
    from = found + m[2]!.length;
  }
  return found === undefined ? undefined : positionAt(text, found);
}
