import { describe, expect, test } from "bun:test";
import { parseTOML } from "confbox";
import { addImport, removeImport, createdConfig, checkProxyConflict, importWarnings, proxyPluginDropIn } from "../../src/core/containerd/config.ts";
import { UserError } from "../../src/core/os/errors.ts";

const G = "/home/alice/.config/containerd/conf.d/*.toml";

function imports(text: string): unknown {
  return (parseTOML(text) as { imports?: unknown }).imports;
}

/** add then remove must give back the same bytes, and the added form must parse with the glob imported at top level */
function roundTrip(original: string) {
  const added = addImport(original, G);
  expect(imports(added)).toContain(G);
  expect(removeImport(added, G)).toBe(original);
  // idempotent
  expect(addImport(added, G)).toBe(added);
  return added;
}

describe("addImport / removeImport keep the user's file byte for byte", () => {
  test("missing file: created minimal version 2 config (deleted on removal by the plan, which recorded creating it)", () => {
    const created = addImport(null, G);
    expect(created).toBe(createdConfig(G));
    expect(parseTOML(created)).toEqual({ version: 2, imports: [G] });
    // a user's own "version = 2" file reads the same once our line is in: the text alone must give it back
    expect(removeImport(created, G)).toBe("version = 2\n");
  });

  test("empty file", () => {
    const added = roundTrip("");
    expect(added.startsWith("imports = [")).toBe(true);
  });

  for (const v of [1, 2, 3]) {
    test(`version ${v} header stays first, imports goes right after it`, () => {
      const orig = `version = ${v}\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.9"\n`;
      const added = roundTrip(orig);
      expect(added.split("\n")[0]).toBe(`version = ${v}`);
      expect(added.split("\n")[1]).toStartWith(`imports = ["${G}"]`);
      expect((parseTOML(added) as { version: number }).version).toBe(v);
    });
  }

  test("comments and order preserved; insertion before the first table", () => {
    const orig = "# my containerd config\n# tuned by hand\nroot = \"/x\" # where\n\n# gc\n[plugins]\n  [plugins.\"io.containerd.gc.v1.scheduler\"]\n    pause_threshold = 0.02\n";
    const added = roundTrip(orig);
    expect(added).toBe(orig.replace('root = "/x" # where\n', `root = "/x" # where\nimports = ["${G}"] # add-on drop-ins, managed by containerd-rootless-systemd\n`));
  });

  test("only a table: imports goes at the top (must be top-level)", () => {
    const orig = "[proxy_plugins]\n  [proxy_plugins.\"mine\"]\n    type = \"snapshot\"\n    address = \"/run/mine.sock\"\n";
    const added = roundTrip(orig);
    expect(added.indexOf("imports")).toBe(0);
  });

  test("CRLF line endings kept, including for the inserted line", () => {
    const orig = "version = 2\r\n# c\r\n[grpc]\r\n  address = \"/x\"\r\n";
    const added = roundTrip(orig);
    expect(added.replace(/\r\n/g, "")).not.toContain("\n");
  });

  test("no final line break", () => {
    roundTrip("version = 2");
    roundTrip("version = 2\n[debug]\n  level = \"info\"");
    roundTrip("# only a comment");
  });

  test("UTF-8 BOM stays first", () => {
    const added = roundTrip("\ufeffversion = 2\n");
    expect(added.charCodeAt(0)).toBe(0xfeff);
  });

  const arrays: Record<string, string> = {
    "single-line": 'version = 2\nimports = ["/etc/a.toml"]\n',
    "single-line, trailing comma": 'version = 2\nimports = ["/etc/a.toml",]\n',
    "single-line, two": "version = 2\nimports = ['/etc/a.toml', \"/etc/b.toml\"] # mine\n",
    empty: "imports = []\nversion = 2\n",
    "empty multi-line": "imports = [\n]\n",
    "multi-line": 'version = 2\nimports = [\n  "/etc/a.toml",\n  "/etc/b.toml"\n]\n[debug]\n',
    "multi-line, trailing comma": 'version = 2\nimports = [\n    "/etc/a.toml",\n    "/etc/b.toml",\n]\n',
    "multi-line with comments": 'imports = [\n  "/etc/a.toml", # first\n  # "/etc/old.toml",\n  "/etc/b.toml" # second\n]\n',
    "multi-line CRLF": 'imports = [\r\n  "/etc/a.toml"\r\n]\r\n',
    "quoted key": '"imports" = ["/etc/a.toml"]\n',
  };
  for (const [name, orig] of Object.entries(arrays)) {
    test(`existing imports array: ${name}`, () => {
      const before = imports(orig) as string[];
      const added = roundTrip(orig);
      expect(imports(added)).toEqual([...before, G]);
    });
  }

  test("multi-line array: the element gets its own line with the same indent", () => {
    const added = addImport(arrays["multi-line"]!, G);
    expect(added).toContain(`  "/etc/b.toml",\n  "${G}"\n]`);
  });

  test("imports inside a table is not top-level: a top-level entry is added", () => {
    const orig = '[plugins.x]\nimports = ["nope"]\n';
    const added = roundTrip(orig);
    expect(imports(added)).toEqual([G]);
  });

  test("multi-line strings holding [ and = do not confuse the scanner", () => {
    const orig = 'version = 2\nnote = """\n[not a table]\nimports = 1\n"""\n[debug]\n';
    const added = roundTrip(orig);
    expect(imports(added)).toEqual([G]);
  });

  test("glob already imported by the user: unchanged", () => {
    const orig = `imports = ["${G}"]\n`;
    expect(addImport(orig, G)).toBe(orig);
  });
});

describe("invalid and conflicting configs are refused", () => {
  test("invalid TOML: refused with line and column", () => {
    const bad = 'version = 2\n[grpc]\n  address = "/x\n';
    try {
      addImport(bad, G);
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(/line 3, column \d+/);
    }
  });

  test("duplicate table (pasted the seed's snippet twice) refused", () => {
    const bad = '[proxy_plugins]\n[proxy_plugins."stargz"]\ntype="snapshot"\n[proxy_plugins]\n';
    expect(() => addImport(bad, G)).toThrow(/line 4/);
  });

  test("imports that is not an array refused", () => {
    expect(() => addImport('imports = "x"\n', G)).toThrow(/not an array/);
    expect(() => addImport('imports = "/etc/x.toml"\n', G)).toThrow(expect.objectContaining({ fix: expect.stringContaining('imports = ["/etc/x.toml"]') }));
  });

  test("user's own [proxy_plugins] with the same name: identical accepted, different refused with its line", () => {
    const text = 'version = 2\n\n[proxy_plugins]\n  [proxy_plugins."fuse-overlayfs"]\n    type = "snapshot"\n    address = "/run/user/1000/containerd-fuse-overlayfs.sock"\n';
    expect(checkProxyConflict(text, "config.toml", "fuse-overlayfs", "/run/user/1000/containerd-fuse-overlayfs.sock")).toBe("same");
    expect(() => checkProxyConflict(text, "config.toml", "fuse-overlayfs", "/run/user/1001/x.sock")).toThrow(/line 4/);
    expect(checkProxyConflict(text, "config.toml", "stargz", "/x")).toBe("none");
    // other proxy plugins of the user are kept by the imports insertion
    const added = roundTrip(text);
    expect((parseTOML(added) as any).proxy_plugins["fuse-overlayfs"].type).toBe("snapshot");
  });

  test("relative glob warned about", () => {
    expect(importWarnings('imports = ["conf.d/*.toml"]\n', "config.toml")[0]).toMatch(/relative glob/);
  });

  test("drop-in parses to one proxy plugin, with no version key", () => {
    const t = parseTOML(proxyPluginDropIn("stargz", "/run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock")) as any;
    expect(t).toEqual({ proxy_plugins: { stargz: { type: "snapshot", address: "/run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock" } } });
  });
});

describe("validation by the real containerd (config dump, no daemon)", async () => {
  const { Host } = await import("../../src/core/os/host.ts");
  const { resolvePaths } = await import("../../src/core/os/paths.ts");
  const { validateWithContainerd } = await import("../../src/core/containerd/proxy-plugins.ts");
  const { mkdtemp, rm, readdir } = await import("node:fs/promises");
  const hasContainerd = Bun.which("containerd") !== null;

  test.skipIf(!hasContainerd)("both proxy plugins are seen through the absolute glob; a broken drop-in is refused naming it", async () => {
    const home = await mkdtemp("/tmp/crsad-home-");
    try {
      const host = new Host({ env: { HOME: home, PATH: process.env.PATH, XDG_RUNTIME_DIR: "/run/user/1000" } });
      const paths = resolvePaths(host.env, host.uid);
      const glob = `${paths.containerdConfD}/*.toml`;
      const text = addImport("version = 2\n", glob);
      const dropIns = new Map([["fuse-overlayfs", proxyPluginDropIn("fuse-overlayfs", "/run/user/1000/f.sock")], ["stargz", proxyPluginDropIn("stargz", "/run/user/1000/s.sock")]]);
      await validateWithContainerd(host, paths, text, dropIns, ["fuse-overlayfs", "stargz"]);
      // nothing left behind by the check
      expect(await readdir(home)).toEqual([]);
      dropIns.set("broken", '[proxy_plugins."x"\n');
      await expect(validateWithContainerd(host, paths, text, dropIns, ["stargz"])).rejects.toThrow(/conf\.d\/broken\.toml/);
      // the user already imports our glob, spelled their way (literal string): the planned drop-ins are still what is checked
      await validateWithContainerd(host, paths, `version = 2\nimports = [\n  '${glob}', # mine\n]\n`, dropIns.set("broken", proxyPluginDropIn("broken", "/x")), ["stargz"]);
      dropIns.set("broken", '[proxy_plugins."x"\n');
      await expect(validateWithContainerd(host, paths, `imports = ['${glob}']\n`, dropIns, ["stargz"])).rejects.toThrow(/conf\.d\/broken\.toml/);
      // a relative glob: containerd ignores it, and the check says the plugin is missing
      await expect(validateWithContainerd(host, paths, 'version = 2\nimports = ["conf.d/*.toml"]\n', dropIns, ["stargz"])).rejects.toThrow(/does not see the stargz proxy plugin/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
