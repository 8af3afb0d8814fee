// The desired-state file of `apply -f`: the three formats and stdin sniffing, the example
// files, and every kind of mistake refused with its key, line and column.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { detectFormat, parseDesiredState, DesiredStateError, type DesiredFormat } from "../../src/core/desired-state/parse.ts";
import { locator, type PathKey } from "../../src/core/desired-state/positions.ts";

const locate = (text: string, format: DesiredFormat, path: PathKey[]) => locator(text, format)(path);
import "../../src/plugins/index.ts";

const EXAMPLES = join(import.meta.dir, "../../examples");

function refusal(text: string, file: string): DesiredStateError {
  try {
    parseDesiredState(text, file);
  } catch (e) {
    if (e instanceof DesiredStateError) return e;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

describe("formats", () => {
  const same = {
    toml: 'snapshotter = "native"\naddons = ["buildkit"]\n[containerd]\ninstalled = true\n[settings]\nmtu = 1500\ndetach-netns = false\n',
    yaml: "containerd:\n  installed: true\nsettings:\n  mtu: 1500\n  detach-netns: false\naddons: [buildkit]\nsnapshotter: native\n",
    json: '{"containerd":{"installed":true},"settings":{"mtu":1500,"detach-netns":false},"addons":["buildkit"],"snapshotter":"native"}',
  };
  for (const [format, text] of Object.entries(same)) {
    test(`${format}: parsed into the same state`, () => {
      const p = parseDesiredState(text, `setup.${format}`);
      expect(p.format).toBe(format as DesiredFormat);
      expect(p.state.containerd).toEqual({ installed: true });
      expect(p.state.settings).toEqual({ mtu: "1500", detachNetns: "false" });
      expect(p.state.addons!.map((a) => [a.id, a.options])).toEqual([["buildkit", {}]]);
      expect(p.state.snapshotter).toBe("native");
    });
    test(`${format}: recognised from the content on stdin`, () => {
      expect(detectFormat("-", text)).toBe(format as DesiredFormat);
    });
  }

  test("every example file parses and names real add-ons with their options", () => {
    const files = readdirSync(EXAMPLES).filter((f) => /\.(toml|ya?ml|json)$/.test(f));
    expect(files.sort()).toEqual(["minimal.toml", "rootless.json", "rootless.toml", "rootless.yaml"]);
    const states = files.map((f) => parseDesiredState(readFileSync(join(EXAMPLES, f), "utf8"), f).state);
    for (const s of states) expect(s.containerd).toEqual({ installed: true });
    const full = states.filter((s) => s.snapshotter === "stargz");
    expect(full).toHaveLength(3); // the three formats say the same thing
    for (const s of full) {
      expect(s.settings).toEqual({ net: "slirp4netns", mtu: "1500", portDriver: "builtin", slirp4netnsSandbox: "auto", slirp4netnsSeccomp: "auto", detachNetns: "auto", flags: "--cidr=10.0.9.0/24" });
      expect(s.addons!.map((a) => [a.id, a.options])).toEqual([["stargz", {}], ["buildkit", { worker: "containerd", namespace: "default" }]]);
    }
    const minimal = parseDesiredState(readFileSync(join(EXAMPLES, "minimal.toml"), "utf8"), "minimal.toml").state;
    expect(minimal).toEqual({ containerd: { installed: true }, settings: { mtu: "1500" }, addons: [] });
  });

  test("flags as a list keep each word intact through the launcher's splitting", () => {
    const p = parseDesiredState('[settings]\nflags = ["--cidr=10.0.9.0/24", "--copy-up=/my dir"]\n', "f.toml");
    expect(p.state.settings!.flags).toBe("--cidr=10.0.9.0/24 '--copy-up=/my dir'");
  });
});

describe("refusals name the key, line and column", () => {
  const cases: [name: string, file: string, text: string, expected: string][] = [
    ["MTU out of range", "a.toml", "[settings]\nnet = \"slirp4netns\"\nmtu = 70000\n", "a.toml:3:1: settings.mtu: out of range: the MTU must be from 576 to 65520"],
    ["MTU of the wrong type", "a.yaml", "settings:\n  mtu: \"1500\"\n", 'a.yaml:2:3: settings.mtu: expected a whole number, found string "1500"'],
    ["unknown network driver", "a.json", '{\n  "settings": {\n    "net": "wifi"\n  }\n}', "a.json:3:5: settings.net: expected one of: slirp4netns, vpnkit"],
    ["unknown setting", "a.yaml", "settings:\n  mtu: 1500\n  speed: fast\n", "a.yaml:3:3: settings.speed: unknown setting"],
    ["unknown top-level key", "a.toml", "addons = []\nversion = 2\n", "a.toml:2:1: version: unknown key; expected one of: containerd, settings, addons, snapshotter"],
    ["a top-level key under a TOML table", "a.toml", "[containerd]\ninstalled = true\nsnapshotter = \"native\"\n", 'a.toml:3:1: containerd.snapshotter: unknown key; expected "installed"'],
    ["installed not a boolean", "a.yaml", "containerd:\n  installed: yes\n", 'a.yaml:2:3: containerd.installed: expected true or false, found string "yes"'],
    ["unknown add-on", "a.yaml", "addons:\n  - buildkit\n  - podman\n", 'a.yaml:3:5: addons[1]: unknown add-on "podman"; known add-ons: bypass4netns, fuse-overlayfs, stargz, buildkit'],
    ["unknown add-on option", "a.toml", 'addons = [{ name = "buildkit", workers = "oci" }]\n', "a.toml:1:32: addons[0].workers: unknown option of buildkit; expected one of: worker, namespace"],
    ["add-on option not among the choices", "a.json", '{"addons": [{"name": "buildkit", "worker": "gpu"}]}', 'a.json:1:34: addons[0].worker: expected one of: oci, containerd (found "gpu")'],
    ["add-on listed twice", "a.yaml", "addons: [stargz, stargz]\n", 'a.yaml:1:18: addons[1]: "stargz" is listed twice'],
    ["detach-netns as an add-on", "a.yaml", "addons: [detach-netns]\n", "use settings.detach-netns = true instead"],
    ["snapshotter unknown", "a.toml", 'snapshotter = "zfs"\n', 'a.toml:1:1: snapshotter: expected one of: overlayfs, fuse-overlayfs, stargz, native (found string "zfs")'],
    ["snapshotter without its add-on", "a.yaml", "addons: [buildkit]\nsnapshotter: stargz\n", 'a.yaml:2:1: snapshotter: "stargz" is served by the stargz add-on; add it to addons'],
    ["add-ons without containerd", "a.yaml", "containerd: {installed: false}\naddons: [buildkit]\n", "a.yaml:2:1: addons: add-ons need containerd, but containerd.installed is false"],
    ["detach-netns not a tristate", "a.toml", "[settings]\ndetach-netns = \"maybe\"\n", "a.toml:2:1: settings.detach-netns: expected one of: auto, true, false, 1, 0"],
    ["TOML syntax", "a.toml", "[settings]\nmtu = = 1\n", "a.toml:2:"],
    ["YAML syntax", "a.yaml", "settings:\n  mtu: 1500\n   net: x\n", "a.yaml:3:"],
    ["JSON syntax", "a.json", '{"settings": {"mtu": 1500},\n "addons": }', "a.json:2:12: (syntax): not valid JSON"],
    ["JSON with a comment", "a.json", '{\n  // my setup\n  "settings": {"mtu": 1500}\n}', "a.json:2:3: (syntax): not valid JSON: comments are not allowed in JSON"],
    ["JSON with a trailing comma", "a.json", '{\n  "settings": {\n    "mtu": 1500,\n  }\n}', 'a.json:4:3: (syntax): not valid JSON: a trailing comma before "}" is not allowed in JSON'],
    ["JSON with single quotes", "a.json", "{'settings': {}}", "a.json:1:2: (syntax): not valid JSON: expected a string in double quotes"],
    ["JSON key written twice", "a.json", '{\n  "settings": {\n    "mtu": 1500,\n    "mtu": 1400\n  }\n}', "a.json:4:5: settings.mtu: written twice in the same table; keep one"],
    ["JSON key written twice inside a list", "a.json", '{"addons": ["stargz", {"name": "buildkit", "worker": "oci", "worker": "containerd"}]}', "a.json:1:61: addons[1].worker: written twice in the same table; keep one"],
    ["JSON after a byte order mark", "a.json", '\uFEFF{\n  "settings": {"mtu": 1500,}\n}', 'a.json:2:28: (syntax): not valid JSON: a trailing comma before "}" is not allowed in JSON'],
    ["JSON unterminated", "a.json", '{"settings": {"mtu": 1500}', 'a.json:1:27: (syntax): not valid JSON: expected "," or "}", found the end of the file'],
    ["empty file", "a.yaml", "\n", "the file is empty"],
    ["not a table", "a.yaml", "- buildkit\n", "expected a table of keys"],
  ];
  for (const [name, file, text, expected] of cases) {
    test(name, () => {
      const e = refusal(text, file);
      expect(e.message).toContain(expected);
      expect(e.message).toContain("nothing was changed");
    });
  }

  test("every problem of a file is listed at once", () => {
    const e = refusal("[settings]\nmtu = 1\nnet = \"x\"\nport-driver = 3\n", "a.toml");
    expect(e.problems.map((p) => [p.key, p.position?.line])).toEqual([
      ["settings.mtu", 2],
      ["settings.net", 3],
      ["settings.port-driver", 4],
    ]);
  });
});

describe("locating keys in the text", () => {
  test("comments and earlier sections do not match", () => {
    const text = "# mtu = 9000 in a comment\n[containerd]\ninstalled = true\n\n[settings]\n# mtu\nmtu = 1500\n";
    expect(locate(text, "toml", ["settings", "mtu"])).toEqual({ line: 7, column: 1 });
  });
  test("dotted TOML keys and nested YAML", () => {
    expect(locate('settings.mtu = 1\n', "toml", ["settings", "mtu"])).toEqual({ line: 1, column: 10 });
    expect(locate("addons:\n  - name: buildkit\n    worker: x\n", "yaml", ["addons", 0, "worker"])).toEqual({ line: 3, column: 5 });
  });
  // where "the first match after the previous anchor wins" (the regular-expression search) was wrong
  test("the same key name in another table is not taken for the one asked about", () => {
    const toml = '[settings]\nnet = "slirp4netns"\n\n[other]\nmtu = 1500\n';
    expect(locate(toml, "toml", ["settings", "mtu"])).toEqual({ line: 1, column: 2 }); // not other.mtu on line 5
    const yaml = "settings:\n  net: slirp4netns\nother:\n  mtu: 1500\n";
    expect(locate(yaml, "yaml", ["settings", "mtu"])).toEqual({ line: 1, column: 1 });
    const json = '{"settings": {"net": "x"}, "other": {"mtu": 1}}';
    expect(locate(json, "json", ["settings", "mtu"])).toEqual({ line: 1, column: 2 });
  });
  test("a key name inside a string or a comment is not the key", () => {
    const toml = '[settings]\nflags = "--x mtu = 9"\n# mtu = 1\nmtu = 1500\n';
    expect(locate(toml, "toml", ["settings", "mtu"])).toEqual({ line: 4, column: 1 });
    const multiline = '[settings]\nflags = """\nmtu = 9\n"""\nmtu = 1500\n';
    expect(locate(multiline, "toml", ["settings", "mtu"])).toEqual({ line: 5, column: 1 });
    const yaml = 'settings:\n  flags: "a mtu: 9"\n  mtu: 1500\n';
    expect(locate(yaml, "yaml", ["settings", "mtu"])).toEqual({ line: 3, column: 3 });
    const json = '{"settings": {"flags": "\\"mtu\\": 9", "mtu": 1500}}';
    expect(locate(json, "json", ["settings", "mtu"])).toEqual({ line: 1, column: 38 });
  });
  test("the same add-on twice: each element by its index; [[array]] tables and quoted keys", () => {
    expect(locate("addons: [stargz, stargz]\n", "yaml", ["addons", 1])).toEqual({ line: 1, column: 18 });
    const toml = '[[addons]]\nname = "buildkit"\n\n[[addons]]\nname = "buildkit"\n"worker" = "oci"\n';
    expect(locate(toml, "toml", ["addons", 1])).toEqual({ line: 4, column: 1 });
    expect(locate(toml, "toml", ["addons", 1, "worker"])).toEqual({ line: 6, column: 1 });
    expect(locate('addons = ["stargz", "stargz"]\n', "toml", ["addons", 1])).toEqual({ line: 1, column: 21 });
  });
  test("a position past non-ASCII text counts characters as the editor does", () => {
    expect(locate('# Größe 😀\n[settings]\n"名前" = 1\nmtu = 1\n', "toml", ["settings", "mtu"])).toEqual({ line: 4, column: 1 });
    expect(locate("settings: {net: ü, mtu: 1}\n", "yaml", ["settings", "mtu"])).toEqual({ line: 1, column: 20 });
  });
  test("an anchor not found falls back to the last one found", () => {
    expect(locate("settings:\n  net: x\n", "yaml", ["settings", "mtu"])).toEqual({ line: 1, column: 1 });
    expect(locate("", "yaml", ["settings"])).toBeUndefined();
  });
});

describe("reading the file", () => {
  test("a directory or a missing file is refused with a clear error, not a crash", async () => {
    const { makeTestHost } = await import("../helpers/test-host.ts");
    const { readDesiredState } = await import("../../src/core/desired-state/parse.ts");
    const { UserError } = await import("../../src/core/os/errors.ts");
    const host = await makeTestHost({ dirs: ["/home/alice/setup"], files: { "/home/alice/ok.yaml": "addons: []\n" } });
    try {
      const dir = await readDesiredState(host, "/home/alice/setup").catch((e) => e);
      expect(dir).toBeInstanceOf(UserError);
      expect(dir.message).toBe("/home/alice/setup is a directory, not a desired-state file");
      const missing = await readDesiredState(host, "/home/alice/nope.toml").catch((e) => e);
      expect(missing).toBeInstanceOf(UserError);
      expect(missing.message).toBe("/home/alice/nope.toml: no such file");
      expect((await readDesiredState(host, "/home/alice/ok.yaml")).state).toEqual({ addons: [] });
    } finally {
      await host.cleanup();
    }
  });
});
