// Where a key or a list element sits in a desired-state file, for error messages
// ("rootless.toml:7:1"), from each parser's own source map: toml-eslint-parser's syntax tree
// for TOML (tomlKeyLines, shared with the config.toml editing), yaml's parseDocument with a
// LineCounter for YAML, jsonc-parser's tree for JSON. confbox
// gives the values (without positions); these give where each one is written. A path is keys
// and list indexes (["addons", 1, "worker"]); for a path the file does not have, the position
// of its longest prefix that it has (a missing key: its table), and with none, no position.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { parseTree, type Node as JsonNode } from "jsonc-parser";
import { tomlKeyLines } from "../containerd/toml-text.ts";
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
  constructor(private readonly at = new Map<string, Position>()) {}
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
  let spots = new Spots();
  try {
    if (format === "toml") spots = new Spots(tomlKeyLines(text)); // shared with the config.toml editing
    else if (format === "yaml") yamlSpots(text, spots);
    else jsonSpots(text, spots);
  } catch {
    // a file the parser refuses has no positions; its syntax error is reported by confbox's parse
  }
  return (path) => spots.find(path);
}
