// The one copy of each small quoting rule: shell words (plans, diagnostics, the sudo block),
// regular expressions and globs. Each is checked against the real reader: `sh` for shell
// words, RegExp for patterns, Bun's Glob for globs.
import { test, expect } from "bun:test";
import { shellLine, shellQuote } from "../../src/core/os/shell.ts";
import { escapeGlob, escapeRegExp } from "../../src/core/os/text.ts";

const AWKWARD = ["plain", "a b", "it's", "$HOME", "`x`", "a\\b", "*", "", "tab\tnew\nline", "ü-名前", "--flag=v", "%h/x"];

test("shellQuote: sh reads every word back unchanged; safe words stay bare", () => {
  const line = shellLine(["printf", "%s\\0", ...AWKWARD]);
  const r = Bun.spawnSync(["sh", "-c", line]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString().split("\0").slice(0, -1)).toEqual(AWKWARD);
  expect(shellQuote("/usr/bin/newuidmap")).toBe("/usr/bin/newuidmap");
  expect(shellQuote("user@host:1,2+3=4%")).toBe("user@host:1,2+3=4%");
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
});

test("escapeRegExp: every metacharacter matches itself", () => {
  for (const s of ["a.b", "(x)|[y]", "^$", "a+b*c?", "{1,2}", "back\\slash", "proxy.plugin-1"]) {
    expect(new RegExp(`^${escapeRegExp(s)}$`).test(s)).toBe(true);
    expect(new RegExp(`^${escapeRegExp(s)}$`).test(`${s}x`)).toBe(false);
  }
  expect(new RegExp(escapeRegExp("a.b")).test("axb")).toBe(false);
});

test("escapeGlob: a directory with glob metacharacters is matched literally", () => {
  const dir = "/home/a*b/[conf]?";
  const glob = new Bun.Glob(`${escapeGlob(dir)}/*.toml`);
  expect(glob.match(`${dir}/x.toml`)).toBe(true);
  expect(glob.match("/home/aXb/c/x.toml")).toBe(false);
});
