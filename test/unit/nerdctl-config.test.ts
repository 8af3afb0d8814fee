import { describe, expect, test } from "bun:test";
import { parseTOML } from "confbox";
import { currentSnapshotter, setSnapshotter, unsetSnapshotter, snapshotterExport } from "../../src/core/containerd/nerdctl-config.ts";

const snap = (t: string) => (parseTOML(t) as { snapshotter?: string }).snapshotter;

describe("nerdctl.toml snapshotter", () => {
  test("missing file: created with our line, deleted on removal", () => {
    const t = setSnapshotter(null, "stargz");
    expect(snap(t)).toBe("stargz");
    expect(currentSnapshotter(t).ours).toBe(true);
    expect(unsetSnapshotter(t, "stargz")).toBeNull();
  });

  const shapes: Record<string, string> = {
    "other keys and comments": '# nerdctl config\ndebug = false\nnamespace = "k8s.io" # mine\n\n[hosts]\n',
    "user value": 'address = "unix:///x"\nsnapshotter = "native"\n',
    "user value, literal string and comment": "snapshotter='native' # slow but works\r\ndebug_full = true\r\n",
    "no final break": 'debug = true',
  };
  for (const [name, orig] of Object.entries(shapes)) {
    test(`round trip: ${name}`, () => {
      const t = setSnapshotter(orig, "fuse-overlayfs");
      expect(snap(t)).toBe("fuse-overlayfs");
      const rest = { ...(parseTOML(orig) as object), snapshotter: "fuse-overlayfs" };
      expect(parseTOML(t)).toEqual(rest);
      expect(unsetSnapshotter(t, "fuse-overlayfs")).toBe(orig);
    });
  }

  test("two snapshotters: the second takes over; removing it hands back to the first, then the user's value", () => {
    const orig = 'snapshotter = "native"\n';
    const a = setSnapshotter(orig, "fuse-overlayfs");
    const b = setSnapshotter(a, "stargz");
    expect(snap(b)).toBe("stargz");
    const c = unsetSnapshotter(b, "stargz", "fuse-overlayfs")!;
    expect(snap(c)).toBe("fuse-overlayfs");
    expect(unsetSnapshotter(c, "fuse-overlayfs")).toBe(orig);
    // removing the one that is not the default changes nothing
    expect(unsetSnapshotter(b, "fuse-overlayfs")).toBe(b);
  });

  test("a value the user changed afterwards is left alone", () => {
    const t = 'snapshotter = "overlayfs"\n';
    expect(unsetSnapshotter(t, "overlayfs")).toBe(t);
  });

  test("user already chose it: unchanged", () => {
    const t = 'snapshotter = "stargz"\n';
    expect(setSnapshotter(t, "stargz")).toBe(t);
  });

  test("invalid file refused with line and column", () => {
    expect(() => setSnapshotter('snapshotter = \n', "stargz")).toThrow(/line 1, column/);
  });

  test("export alternative", () => {
    expect(snapshotterExport("stargz")).toBe("export CONTAINERD_SNAPSHOTTER=stargz");
  });
});
