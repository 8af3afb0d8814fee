import { afterEach, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const BIN = "/home/alice/Downloads/containerd-rootless-systemd";
const COPY = "/home/alice/.local/bin/containerd-rootless-systemd";

test("a copy that would not fit stops the run before its first change, naming the step and the free space", async () => {
  const asked: string[][] = [];
  host = await makeTestHost({
    files: { [BIN]: "x".repeat(4096) },
    dirs: ["/home/alice/.local"],
    // statfs as `stat -f` prints it: 100 free blocks of 4096 bytes (400 KB)
    commands: { stat: (argv) => (asked.push(argv), ok("100 4096\n")) },
  });
  const err = await applyPlan(host, [
    { kind: "write", path: "/home/alice/.config/systemd/user/containerd.service", content: "[Unit]\n" },
    { kind: "copy", from: BIN, path: COPY, mode: 0o755 },
  ]).catch((e) => e);
  expect(err.message).toContain(`step 2 (copy ${BIN} to ${COPY}) would not fit`);
  expect(err.message).toContain("has 0.4 MB free. Nothing was changed.");
  expect(asked[0]!.slice(0, 4)).toEqual(["stat", "-f", "-c", "%a %S"]);
  expect(asked[0]![4]).toBe(host.path("/home/alice/.local")); // the nearest directory that exists
  expect(await host.exists("/home/alice/.config")).toBe(false);
  expect(await host.exists(COPY)).toBe(false);
});

test("enough room: the copy goes ahead", async () => {
  host = await makeTestHost({ files: { [BIN]: "x".repeat(4096) }, commands: { stat: () => ok("100000 4096\n") } });
  const r = await applyPlan(host, [{ kind: "copy", from: BIN, path: COPY, mode: 0o755 }]);
  expect(r.changed).toBe(true);
  expect(await host.readText(COPY)).toBe("x".repeat(4096));
});
