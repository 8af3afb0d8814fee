// A strict check of a JSON desired-state file, for what JSON.parse does not say: where the
// first syntax error is (Bun's JSON.parse gives no position, and comments or trailing commas,
// which a JSON5 parser accepts, need one too), and which keys are written twice in one object
// (JSON.parse silently keeps the last; TOML and YAML refuse them). jsonc-parser finds both,
// with comments and trailing commas disallowed; this file words its error codes for people.
import { parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";

export interface JsonProblem {
  /** 0-based offset in the text */
  offset: number;
  /** dotted key path, "(syntax)" for a syntax error */
  key: string;
  message: string;
}

function syntaxMessage(text: string, { error: code, offset }: ParseError): string {
  const error = printParseErrorCode(code);
  const found = offset >= text.length ? "the end of the file" : JSON.stringify(text[offset]);
  const before = text.slice(0, offset).trimEnd().at(-1);
  switch (error) {
    case "InvalidCommentToken":
      return "comments are not allowed in JSON (use YAML or TOML for a file with comments)";
    case "PropertyNameExpected":
    case "ValueExpected":
      if (before === "," && (text[offset] === "}" || text[offset] === "]")) return `a trailing comma before "${text[offset]}" is not allowed in JSON`;
      return error === "PropertyNameExpected" ? `expected a string in double quotes, found ${found}` : `expected a value, found ${found}`;
    case "InvalidSymbol":
      return text[offset] === "'" ? `expected a string in double quotes, found ${found}` : `unexpected ${found}`;
    case "ColonExpected":
      return `expected ":" after the key, found ${found}`;
    case "CommaExpected":
      return `expected ",", found ${found}`;
    case "CloseBraceExpected":
      return `expected "," or "}", found ${found}`;
    case "CloseBracketExpected":
      return `expected "," or "]", found ${found}`;
    case "UnexpectedEndOfString":
      return "unterminated string";
    case "InvalidCharacter":
      return "a control character (e.g. a line break) inside a string";
    case "InvalidEscapeCharacter":
    case "InvalidUnicode":
      return "invalid escape in a string";
    case "EndOfFileExpected":
      return `unexpected ${found} after the end of the document`;
    default:
      return `unexpected ${found}`;
  }
}

/** The syntax error (at most one, first) and every duplicate key; empty for valid JSON. */
export function checkJson(text: string): JsonProblem[] {
  const errors: ParseError[] = [];
  // a byte order mark is not JSON's business: read it as a space so offsets stay
  const root = parseTree(text.replace(/^\uFEFF/, " "), errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) return [{ offset: errors[0]!.offset, key: "(syntax)", message: syntaxMessage(text, errors[0]!) }];
  const dups: JsonProblem[] = [];
  const walk = (node: Node | undefined, path: string): void => {
    if (node?.type === "array") node.children?.forEach((item, i) => walk(item, `${path}[${i}]`));
    if (node?.type !== "object") return;
    const seen = new Set<string>();
    for (const [key, value] of (node.children ?? []).map((p) => p.children ?? [])) {
      const keyPath = path ? `${path}.${key!.value}` : String(key!.value);
      if (seen.has(key!.value)) dups.push({ offset: key!.offset, key: keyPath, message: "written twice in the same table; keep one" });
      seen.add(key!.value);
      walk(value, keyPath);
    }
  };
  walk(root, "");
  return dups;
}
