// apply -f ends with the summary line the other commands print (issue 16), built from the
// items it applied: only what changed, in the same words as install's and the add-ons'.
import { test, expect } from "bun:test";
import { applyParts } from "../../src/core/desired-state/apply.ts";
import { changedSettings, summaryLine } from "../../src/core/lifecycle/summary.ts";

test("a fresh install with one setting, an add-on and a snapshotter default", () => {
  const parts = applyParts([
    { item: "containerd", action: "install", changed: true },
    { item: "settings", action: "update", changed: true, diff: '-[Service]\n+[Service]\n+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n' },
    { item: "addon:stargz", action: "install", changed: true },
    { item: "addon:buildkit", action: "none", changed: false },
    { item: "snapshotter", action: "set", changed: true, detail: "overlayfs -> stargz" },
  ]);
  expect(summaryLine(parts)).toBe("containerd installed and running; 1 setting changed; nerdctl's default snapshotter overlayfs -> stargz; stargz added; nothing else touched");
});

test("removing add-ons and switching the bundle; nothing unchanged is named", () => {
  const parts = applyParts([
    { item: "components", action: "install", changed: true, detail: "nerdctl-full 2.2.1 -> 2.2.2" },
    { item: "containerd", action: "none", changed: false },
    { item: "addon:stargz", action: "remove", changed: true },
    { item: "addon:fuse-overlayfs", action: "remove", changed: true },
  ]);
  expect(parts).toEqual(["nerdctl-full 2.2.2 active", "stargz, fuse-overlayfs removed"]);
});

test("the settings a drop-in diff changes: RootlessKit's and the proxy variables, each once", () => {
  const diff = ['-Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"', '+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"', '+Environment="HTTPS_PROXY=http://proxy:3128"', " Environment=KEEP=1", "+Environment=OTHER=x"].join("\n");
  expect(changedSettings(diff)).toEqual(["CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU", "HTTPS_PROXY"]);
});
