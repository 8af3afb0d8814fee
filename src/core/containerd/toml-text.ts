// Minimal, format-preserving edits of a TOML document's text. A user's config file is never
// round-tripped through a serializer (that drops comments and order): we locate the spans of
// top-level keys and array elements and splice in the smallest change. The text is always
// validated first with confbox (parseTomlChecked), so the scanner can assume valid TOML.
import { parseTOML } from "confbox";
import { UserError } from "../os/errors.ts";

export interface TopLevelEntry {
  /** the key as written, unquoted (dotted keys joined with ".") */
  key: string;
  /** offset of the start of the line holding the key */
  lineStart: number;
  valueStart: number;
  valueEnd: number;
  /** offset just past the line break that ends the entry's last line (or text.length) */
  lineEnd: number;
}

export interface TopLevelScan {
  entries: TopLevelEntry[];
  /** offset of the line of the first table header, or null when the document has none */
  firstHeader: number | null;
}

export interface ArrayScan {
  open: number;
  close: number;
  elements: { start: number; end: number; text: string }[];
  /** for each element, the offset of the comma after it, or -1 */
  commaAfter: number[];
}

/** The document's line break: CRLF when its first line ends so, else LF. */
export function eolOf(text: string): string {
  const i = text.indexOf("\n");
  return i > 0 && text[i - 1] === "\r" ? "\r\n" : "\n";
}

/** A TOML basic string for any value. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Parses TOML; an invalid document is refused with its line and column. */
export function parseTomlChecked(text: string, file: string): Record<string, unknown> {
  try {
    return parseTOML(text) as Record<string, unknown>;
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const reason = err.message.replace(/^Invalid TOML document:\s*/, "").split("\n")[0];
    const where = err.line ? `line ${err.line}, column ${err.column ?? 1}` : "unknown position";
    throw new UserError(
      `${file} is not valid TOML (${where}): ${reason}`,
      `Fix ${file} at ${where} (or move it aside), then run this again. Nothing was changed.`,
    );
  }
}

const isWs = (c: string | undefined) => c === " " || c === "\t";

function skipString(text: string, i: number): number {
  const q = text[i]!;
  if (text.startsWith(q.repeat(3), i)) {
    let j = i + 3;
    while (j < text.length) {
      if (q === '"' && text[j] === "\\") j += 2;
      else if (text.startsWith(q.repeat(3), j)) {
        j += 3;
        while (text[j] === q) j++; // up to two quotes may close the content
        return j;
      } else j++;
    }
    return j;
  }
  let j = i + 1;
  while (j < text.length && text[j] !== q && text[j] !== "\n") j += q === '"' && text[j] === "\\" ? 2 : 1;
  return j + 1;
}

function skipComment(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl === -1 ? text.length : nl;
}

/** End offset of the value starting at i (string, array, inline table or scalar). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"' || c === "'") return skipString(text, i);
  if (c === "[" || c === "{") {
    const close = c === "[" ? "]" : "}";
    let j = i + 1;
    while (j < text.length) {
      const d = text[j]!;
      if (d === close) return j + 1;
      if (d === "#") j = skipComment(text, j);
      else if (d === '"' || d === "'" || d === "[" || d === "{") j = skipValue(text, j);
      else j++;
    }
    return j;
  }
  let j = i;
  while (j < text.length && !/[\s,\]}#]/.test(text[j]!)) j++;
  // date-times may hold one space between date and time
  if (text[j] === " " && /^\d{4}-\d\d-\d\d$/.test(text.slice(i, j)) && /\d/.test(text[j + 1] ?? "")) return skipValue(text, j + 1);
  return j;
}

function lineEndAfter(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl === -1 ? text.length : nl + 1;
}

function unquoteKey(raw: string): string {
  return raw
    .split(/\s*\.\s*(?=(?:[^"']|"[^"]*"|'[^']*')*$)/)
    .map((part) => {
      const p = part.trim();
      if (p.startsWith('"')) return JSON.parse(p) as string;
      if (p.startsWith("'")) return p.slice(1, -1);
      return p;
    })
    .join(".");
}

/** The top-level key/value entries (before the first table header) with their spans. */
export function scanTopLevel(text: string): TopLevelScan {
  const entries: TopLevelEntry[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const lineStart = i;
    while (isWs(text[i])) i++;
    const c = text[i];
    if (c === undefined) break;
    if (c === "\r" || c === "\n") {
      i = lineEndAfter(text, i);
      continue;
    }
    if (c === "#") {
      i = lineEndAfter(text, i);
      continue;
    }
    if (c === "[") return { entries, firstHeader: lineStart };
    // key: up to the "=" outside quotes
    let j = i;
    while (j < text.length && text[j] !== "=") j = text[j] === '"' || text[j] === "'" ? skipString(text, j) : j + 1;
    const key = unquoteKey(text.slice(i, j).trim());
    let v = j + 1;
    while (isWs(text[v])) v++;
    const valueEnd = skipValue(text, v);
    entries.push({ key, lineStart, valueStart: v, valueEnd, lineEnd: lineEndAfter(text, valueEnd) });
    i = lineEndAfter(text, valueEnd);
  }
  return { entries, firstHeader: null };
}

/** Elements and commas of the array whose "[" is at `open`. */
export function scanArray(text: string, open: number): ArrayScan {
  const elements: ArrayScan["elements"] = [];
  const commaAfter: number[] = [];
  let j = open + 1;
  while (j < text.length) {
    const c = text[j]!;
    if (c === "]") return { open, close: j, elements, commaAfter };
    if (c === "#") j = skipComment(text, j);
    else if (/\s/.test(c)) j++;
    else if (c === ",") {
      commaAfter[elements.length - 1] = j;
      j++;
    } else {
      const end = skipValue(text, j);
      elements.push({ start: j, end, text: text.slice(j, end) });
      commaAfter.push(-1);
      j = end;
    }
  }
  throw new Error("unterminated array (the document should have been validated first)");
}

/** Offset of the start of the line holding offset i. */
export function lineStartOf(text: string, i: number): number {
  return text.lastIndexOf("\n", i - 1) + 1;
}

/** True when only spaces/tabs sit between the line's start and offset i. */
export function onlyIndentBefore(text: string, i: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartOf(text, i), i));
}

/**
 * Where a new top-level line goes: after `afterKey` when present, else after the last
 * top-level entry, else at the start of the document (before any table header).
 */
export function topLevelInsertionPoint(text: string, scan: TopLevelScan, afterKey?: string): number {
  const anchor = scan.entries.find((e) => e.key === afterKey) ?? scan.entries.at(-1);
  if (anchor) return anchor.lineEnd;
  return text.charCodeAt(0) === 0xfeff ? 1 : 0;
}

/** Inserts a whole line at a line boundary; at the end of a file without a final break, the break goes first. */
export function insertLine(text: string, at: number, line: string): string {
  const eol = eolOf(text);
  if (at === text.length && text.length > 0 && !text.endsWith("\n")) return text + eol + line;
  return text.slice(0, at) + line + eol + text.slice(at);
}

/** The inverse of insertLine for the line starting at `lineStart`. */
export function removeLine(text: string, lineStart: number): string {
  const end = lineEndAfter(text, lineStart);
  if (end === text.length && !text.endsWith("\n") && lineStart > 0) {
    // our line was appended to a file without a final break: drop the break we added before it
    const cut = text[lineStart - 2] === "\r" ? lineStart - 2 : lineStart - 1;
    return text.slice(0, cut);
  }
  return text.slice(0, lineStart) + text.slice(end);
}

/** 1-based line number of an offset. */
export function lineNumberAt(text: string, i: number): number {
  let n = 1;
  for (let k = 0; k < i && k < text.length; k++) if (text[k] === "\n") n++;
  return n;
}
