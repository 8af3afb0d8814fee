// Where a key or a list element sits in a desired-state file, for error messages
// ("rootless.toml:7:1"), from each parser's own source map: toml-eslint-parser's AST for TOML,
// yaml's parseDocument with a LineCounter for YAML, jsonc-parser's tree for JSON. confbox
// gives the values (without positions); these give where each one is written. A path is keys
// and list indexes (["addons", 1, "worker"]); for a path the file does not have, the position
// of its longest prefix that it has (a missing key: its table), and with none, no position.
import { parseTOML, type AST } from "toml-eslint-parser";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { parseTree, type Node as JsonNode } from "jsonc-parser";
import type { DesiredFormat } from "./parse.ts";

export type PathKey = string | number;

export interface Position {
  line: number;
  column: number;
}

/** 1-based line and column of an offset. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** Every key and element of the file by its path; the first place wins where a path is written twice. */
class Spots {
  private readonly at = new Map<string, Position>();
  put(path: readonly PathKey[], position: Position): void {
    const id = JSON.stringify(path);
    if (!this.at.has(id)) this.at.set(id, position);
  }
  find(path: readonly PathKey[]): Position | undefined {
    for (let n = path.length; n > 0; n--) {
      const found = this.at.get(JSON.stringify(path.slice(0, n)));
      if (found) return found;
    }
    return undefined;
  }
}

const tomlPos = (node: AST.HasLocs): Position => ({ line: node.loc.start.line, column: node.loc.start.column + 1 });
const keyName = (k: AST.TOMLBare | AST.TOMLQuoted) => (k.type === "TOMLBare" ? k.name : k.value);

function tomlSpots(text: string, spots: Spots): void {
  const value = (node: AST.TOMLContentNode, path: PathKey[]) => {
    if (node.type === "TOMLInlineTable") keyValues(node.body, path);
    if (node.type === "TOMLArray") node.elements.forEach((e, i) => (spots.put([...path, i], tomlPos(e)), value(e, [...path, i])));
  };
  const keyValues = (body: AST.TOMLKeyValue[], base: PathKey[]) => {
    for (const kv of body) {
      const path = [...base];
      for (const k of kv.key.keys) spots.put((path.push(keyName(k)), path), tomlPos(k));
      value(kv.value, path);
    }
  };
  for (const node of parseTOML(text).body[0].body) {
    if (node.type === "TOMLKeyValue") keyValues([node], []);
    else {
      // [a.b] or [[a]]: each name at its place in the header; an [[array]] element at the header
      const parts = [...node.key.keys];
      node.resolvedKey.forEach((k, i) => spots.put(node.resolvedKey.slice(0, i + 1), typeof k === "number" ? tomlPos(node) : tomlPos(parts.shift()!)));
      keyValues(node.body, node.resolvedKey);
    }
  }
}

function yamlSpots(text: string, spots: Spots): void {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const put = (path: PathKey[], offset: number | undefined) => {
    if (offset === undefined) return;
    const { line, col } = lines.linePos(offset);
    spots.put(path, { line, column: col });
  };
  const walk = (node: unknown, path: PathKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        put([...path, key], isScalar(pair.key) ? pair.key.range?.[0] : undefined);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        put([...path, i], (item as { range?: number[] } | null)?.range?.[0]);
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
}

function jsonSpots(text: string, spots: Spots): void {
  const walk = (node: JsonNode | undefined, path: PathKey[]): void => {
    if (node?.type === "object") {
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (key?.type !== "string") continue;
        spots.put([...path, key.value as string], positionAt(text, key.offset));
        walk(value, [...path, key.value as string]);
      }
    } else if (node?.type === "array") {
      (node.children ?? []).forEach((item, i) => (spots.put([...path, i], positionAt(text, item.offset)), walk(item, [...path, i])));
    }
  };
  walk(parseTree(text), []);
}

/** A function from a path to where the file writes it (see the header). */
export function locator(text: string, format: DesiredFormat): (path: readonly PathKey[]) => Position | undefined {
  const spots = new Spots();
  try {
    if (format === "toml") tomlSpots(text, spots);
    else if (format === "yaml") yamlSpots(text, spots);
    else jsonSpots(text, spots);
  } catch {
    // a file the parser refuses has no positions; its syntax error is reported by confbox's parse
  }
  return (path) => spots.find(path);
}
