// Word-wraps plain text to a width, so every screen knows exactly how many rows its
// content takes (what makes 80x24 and resizes predictable). Every row after the first
// gets `indent`; words longer than a row are cut.
export function wrapText(text: string, width: number, indent = ""): string[] {
  const w = Math.max(10, width);
  const out: string[] = [];
  const prefix = () => (out.length > 0 ? indent : "");
  for (const para of text.split("\n")) {
    let line = prefix();
    let empty = true;
    for (const word of para.split(/(\s+)/)) {
      if (!word) continue;
      if (line.length + word.length <= w) {
        line += word;
        empty = false;
        continue;
      }
      let rest = word.trimStart();
      if (rest.length > w - indent.length && !empty) {
        // a word longer than a row (a long path): fill this row first instead of leaving a gap
        const room = w - line.length;
        out.push(line + rest.slice(0, room));
        rest = rest.slice(room);
      } else if (!empty) out.push(line.trimEnd());
      line = prefix();
      while (line.length + rest.length > w) {
        out.push(line + rest.slice(0, w - line.length));
        rest = rest.slice(w - line.length);
        line = prefix();
      }
      line += rest;
      empty = rest.length === 0;
    }
    out.push(line.trimEnd());
  }
  return out;
}
