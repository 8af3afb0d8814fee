// The TOML text editing's two bugs, fixed: a quoted key with a \U escape (valid TOML) used to
// throw a raw SyntaxError from the hand-written key scanner; a written string holding DEL
// (U+007F) or a lone surrogate used to come out as invalid TOML. Spans now come from
// toml-eslint-parser's syntax tree; every result is read back with confbox (smol-toml, what
// parseTomlChecked uses) and toml-eslint-parser.
import { describe, expect, test } from "bun:test";
import { parseTOML } from "confbox";
import { parseTOML as parseAst } from "toml-eslint-parser";
import { addImport, removeImport, replaceImport, checkProxyConflict, userProxyPlugins } from "../../src/core/containerd/config.ts";
import { setSnapshotter, unsetSnapshotter } from "../../src/core/containerd/nerdctl-config.ts";
import { scanTopLevel, tomlString } from "../../src/core/containerd/toml-text.ts";
import { UserError } from "../../src/core/os/errors.ts";

const G = "/home/alice/.config/containerd/conf.d/*.toml";

describe("a quoted key with a \\U escape", () => {
  const text = 'version = 2\n"\\U0001F600" = "smile" # the user\'s own\n"a\\u00e9.b".c = 1\nimports = ["/etc/a.toml"]\n';

  test("is read as the key it spells, not a SyntaxError", () => {
    expect(scanTopLevel(text).entries.map((e) => e.key)).toEqual(["version", "😀", "aé.b.c", "imports"]);
  });

  test("config.toml's imports are edited around it, byte for byte", () => {
    const added = addImport(text, G);
    expect((parseTOML(added) as { imports: string[] }).imports).toEqual(["/etc/a.toml", G]);
    expect(added).toContain('"\\U0001F600" = "smile" # the user\'s own\n');
    expect(removeImport(added, G)).toBe(text);
    expect(replaceImport(text, "/etc/a.toml", "/etc/b.toml")).toBe(text.replace("/etc/a.toml", "/etc/b.toml"));
  });

  test("nerdctl.toml's snapshotter too", () => {
    const nerdctl = '"\\U0001F600" = true\n';
    const set = setSnapshotter(nerdctl, "stargz", "nerdctl.toml");
    expect(parseTOML(set)).toEqual({ "😀": true, snapshotter: "stargz" });
    expect(unsetSnapshotter(set, "stargz")).toBe(nerdctl);
  });

  test("and as a [proxy_plugins] header name, its line is found however the header is spelled", () => {
    const cfg = 'version = 2\n\n[ proxy_plugins . "\\U0001F600" ]\n  type = "snapshot"\n  address = "/x.sock"\n\n[proxy_plugins]\n"stargz".type = "snapshot"\n';
    expect(userProxyPlugins(cfg).get("😀")).toEqual({ type: "snapshot", address: "/x.sock", line: 3 });
    expect(userProxyPlugins(cfg).get("stargz")?.line).toBe(8);
    expect(() => checkProxyConflict(cfg, "config.toml", "😀", "/y.sock")).toThrow(/\(line 3\)/);
  });
});

describe("strings written into TOML", () => {
  const awkward = ["a\u007fb", "tab\there", "nl\nx", 'q"b\\s', "\u0000\u001f", "😀 é 名前", "\u2028\u2029", "/home/a b/[x]*"];

  test("every string comes back as itself from both TOML parsers (DEL escaped, not raw)", () => {
    for (const v of awkward) {
      const doc = `v = ${tomlString(v)}\n`;
      expect((parseTOML(doc) as { v: string }).v).toBe(v);
      const kv = parseAst(doc).body[0].body[0] as { value: { value: string } };
      expect(kv.value.value).toBe(v);
    }
    expect(tomlString("a\u007fb")).toBe('"a\\u007Fb"');
    // what the old JSON.stringify output was: DEL raw, which TOML forbids
    expect(() => parseTOML(`v = "a\u007fb"\n`)).toThrow();
  });

  test("a lone surrogate is refused with a clear error, not written as invalid TOML", () => {
    for (const v of ["x\uD800y", "x\uDC00", "\uDBFF"]) {
      const e = (() => {
        try {
          tomlString(v);
        } catch (err) {
          return err;
        }
      })() as UserError;
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(/lone surrogate \(U\+D[89A-F][0-9A-F]{2}\)/);
      expect(e.fix).toContain("Nothing was changed");
    }
    expect(tomlString("pair \uD83D\uDE00")).toBe('"pair 😀"'); // a whole pair is a character
    expect(() => addImport("version = 2\n", "/home/a\uD800/conf.d/*.toml")).toThrow(UserError);
  });
});
