// Word-wraps plain text to a width, so every screen knows exactly how many rows its
// content takes (what makes 80x24 and resizes predictable). Every row after the first
// gets `indent`; words longer than a row are cut. Widths are display columns as the
// terminal draws them (string-width, the measure Ink itself uses): a CJK character or an
// emoji takes two, a combining mark none; a cut never splits a character (grapheme).
import stringWidth from "string-width";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The longest head of `s` that fits in `cols` columns, and the rest; `atLeastOne`: never an empty head (a fresh row must advance). */
function cut(s: string, cols: number, atLeastOne: boolean): [string, string] {
  let used = 0;
  let end = 0;
  for (const { segment, index } of graphemes.segment(s)) {
    const w = stringWidth(segment);
    if (used + w > cols && !(atLeastOne && index === 0)) break;
    used += w;
    end = index + segment.length;
  }
  return [s.slice(0, end), s.slice(end)];
}

export function wrapText(text: string, width: number, indent = ""): string[] {
  const w = Math.max(10, width);
  const out: string[] = [];
  const prefix = () => (out.length > 0 ? indent : "");
  for (const para of text.split("\n")) {
    let line = prefix();
    let empty = true;
    for (const word of para.split(/(\s+)/)) {
      if (!word) continue;
      if (stringWidth(line) + stringWidth(word) <= w) {
        line += word;
        empty = false;
        continue;
      }
      let rest = word.trimStart();
      if (stringWidth(rest) > w - stringWidth(indent) && !empty) {
        // a word longer than a row (a long path): fill this row first instead of leaving a gap
        const [head, tail] = cut(rest, w - stringWidth(line), false);
        out.push(head ? line + head : line.trimEnd());
        rest = tail;
      } else if (!empty) out.push(line.trimEnd());
      line = prefix();
      while (stringWidth(line) + stringWidth(rest) > w) {
        const [head, tail] = cut(rest, w - stringWidth(line), true);
        out.push(line + head);
        rest = tail;
        line = prefix();
      }
      line += rest;
      empty = rest.length === 0;
    }
    out.push(line.trimEnd());
  }
  return out;
}
