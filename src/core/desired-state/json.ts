// A strict check of a JSON desired-state file, for what JSON.parse does not say: where the
// first syntax error is (Bun's JSON.parse gives no position, and comments or trailing commas,
// which a JSON5 parser accepts, need one too), and which keys are written twice in one object
// (JSON.parse silently keeps the last; TOML and YAML refuse them).

export interface JsonProblem {
  /** 0-based offset in the text */
  offset: number;
  /** dotted key path, "(syntax)" for a syntax error */
  key: string;
  message: string;
}

const WS = new Set([" ", "\t", "\n", "\r"]);

/** The syntax error (at most one, first) and every duplicate key; empty for valid JSON. */
export function checkJson(text: string): JsonProblem[] {
  const dups: JsonProblem[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (message: string): never => {
    throw { offset: i, key: "(syntax)", message } satisfies JsonProblem;
  };
  const ws = () => {
    while (WS.has(text[i]!)) i++;
    if (text.startsWith("//", i) || text.startsWith("/*", i)) fail("comments are not allowed in JSON (use YAML or TOML for a file with comments)");
  };
  const string = (): string => {
    if (text[i] !== '"') fail(`expected a string in double quotes, found ${found()}`);
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 0x20) fail("a control character (e.g. a line break) inside a string");
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail("invalid escape in a string");
    }
  };
  const found = () => (i >= text.length ? "the end of the file" : JSON.stringify(text[i]));
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        const at = i;
        const key = string();
        const keyPath = path ? `${path}.${key}` : key;
        if (seen.has(key)) dups.push({ offset: at, key: keyPath, message: "written twice in the same table; keep one" });
        seen.add(key);
        ws();
        if (text[i] !== ":") fail(`expected ":" after the key, found ${found()}`);
        i++;
        value(keyPath);
        ws();
        if (text[i] === "}") return void i++;
        if (text[i] !== ",") fail(`expected "," or "}", found ${found()}`);
        i++;
        ws();
        if (text[i] === "}") fail('a trailing comma before "}" is not allowed in JSON');
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === "]") return void i++;
        if (text[i] !== ",") fail(`expected "," or "]", found ${found()}`);
        i++;
        ws();
        if (text[i] === "]") fail('a trailing comma before "]" is not allowed in JSON');
      }
    }
    if (c === '"') return void string();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, found ${found()}`);
    i += m![0].length;
  };
  try {
    value("");
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the document`);
  } catch (e) {
    if (typeof e === "object" && e !== null && "offset" in e) return [e as JsonProblem];
    throw e;
  }
  return dups;
}
