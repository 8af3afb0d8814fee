// Minimal, format-preserving edits of a TOML document's text. A user's config file is never
// round-tripped through a serializer (that drops comments and order): the spans of top-level
// keys and array elements come from a real TOML parser's syntax tree (toml-eslint-parser),
// and the smallest change is spliced in. The text is always validated first with confbox
// (parseTomlChecked), which also gives the values.
import { parseTOML } from "confbox";
import { parseTOML as parseAst, traverseNodes, type AST } from "toml-eslint-parser";
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

/**
 * A TOML basic string for `value`. JSON's escapes are TOML's too, except that TOML also wants
 * DEL (U+007F) escaped, and a lone surrogate (half of a UTF-16 pair) is no character at all:
 * TOML has no way to write it, so it is refused rather than written as an invalid file.
 */
export function tomlString(value: string): string {
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new UserError(
      `cannot write ${JSON.stringify(value)} into a TOML file: character ${lone.index + 1} is a lone surrogate (U+${code}), which is not Unicode text and TOML cannot hold`,
      "Use a value that is valid Unicode text (e.g. rename the path). Nothing was changed.",
    );
  }
  return JSON.stringify(value).replace(/[\u007F\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
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

/** The document's syntax tree with every node's place (toml-eslint-parser); the text must be valid TOML. */
function syntaxTree(text: string): AST.TOMLProgram {
  // a byte order mark (which TOML allows) read as a space, so that every offset stays
  return parseAst(text.replace(/^\uFEFF/, " "), { tomlVersion: "1.1" });
}

function lineEndAfter(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl === -1 ? text.length : nl + 1;
}

export const keyName = (k: AST.TOMLBare | AST.TOMLQuoted): string => (k.type === "TOMLBare" ? k.name : k.value);

/** The top-level key/value entries (before the first table header) with their spans. */
export function scanTopLevel(text: string): TopLevelScan {
  const entries: TopLevelEntry[] = [];
  const lineOf = (i: number) => Math.max(text.charCodeAt(0) === 0xfeff ? 1 : 0, lineStartOf(text, i)); // the first line starts after a BOM
  for (const node of syntaxTree(text).body[0].body) {
    if (node.type === "TOMLTable") return { entries, firstHeader: lineOf(node.range[0]) };
    const [valueStart, valueEnd] = node.value.range;
    entries.push({ key: node.key.keys.map(keyName).join("."), lineStart: lineOf(node.range[0]), valueStart, valueEnd, lineEnd: lineEndAfter(text, valueEnd) });
  }
  return { entries, firstHeader: null };
}

/** Elements and commas of the array whose "[" is at `open`. */
export function scanArray(text: string, open: number): ArrayScan {
  const tree = syntaxTree(text);
  let array: AST.TOMLArray | undefined;
  traverseNodes(tree, { enterNode: (n) => void (n.type === "TOMLArray" && n.range[0] === open && (array ??= n)), leaveNode: () => {} });
  if (!array) throw new Error(`no array at offset ${open} (the document should have been validated first)`);
  const close = array.range[1] - 1;
  const elements = array.elements.map((e) => ({ start: e.range[0], end: e.range[1], text: text.slice(e.range[0], e.range[1]) }));
  // the comma after an element is the first "," token between it and the next element (or the "]")
  const commaAfter = elements.map((e, k) => tree.tokens.find((t) => t.type === "Punctuator" && t.value === "," && t.range[0] >= e.end && t.range[0] < (elements[k + 1]?.start ?? close))?.range[0] ?? -1);
  return { open, close, elements, commaAfter };
}

/** Every key, [table] and [[array]] element of the document by its path, with its line (first place wins). */
export function tomlKeyLines(text: string): Map<string, { line: number; column: number }> {
  const out = new Map<string, { line: number; column: number }>();
  const put = (path: readonly (string | number)[], node: AST.HasLocs) => {
    const id = JSON.stringify(path);
    if (!out.has(id)) out.set(id, { line: node.loc.start.line, column: node.loc.start.column + 1 });
  };
  const value = (node: AST.TOMLContentNode, path: (string | number)[]) => {
    if (node.type === "TOMLInlineTable") keyValues(node.body, path);
    if (node.type === "TOMLArray") node.elements.forEach((e, i) => (put([...path, i], e), value(e, [...path, i])));
  };
  const keyValues = (body: AST.TOMLKeyValue[], base: (string | number)[]) => {
    for (const kv of body) {
      const path = [...base];
      for (const k of kv.key.keys) put((path.push(keyName(k)), path), k);
      value(kv.value, path);
    }
  };
  for (const node of syntaxTree(text).body[0].body) {
    if (node.type === "TOMLKeyValue") keyValues([node], []);
    else {
      // [a.b] or [[a]]: each name at its place in the header; an [[array]] element at the header
      const parts = [...node.key.keys];
      node.resolvedKey.forEach((k, i) => put(node.resolvedKey.slice(0, i + 1), typeof k === "number" ? node : parts.shift()!));
      keyValues(node.body, node.resolvedKey);
    }
  }
  return out;
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
