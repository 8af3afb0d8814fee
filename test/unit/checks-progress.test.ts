// runChecks' onProbe: each probe group is heard as soon as it finishes, with exactly its own
// findings, before runChecks resolves; the result is the same as without a listener.
import { afterEach, describe, expect, test } from "bun:test";
import type { TestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { runChecks, PROBE_GROUPS, type ProbeGroup } from "../../src/core/checks/index.ts";
import type { Finding } from "../../src/core/checks/findings.ts";
import { baseCommands, machine, machineWithHeldSmoke } from "./checks-fixture.ts";
import type { Handler } from "../helpers/test-host.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

describe("runChecks onProbe", () => {
  test("called once per group with that group's findings, before it resolves; the result is unchanged", async () => {
    host = await machine({ files: { "/etc/subuid": "bob:165536:65536\n" } }); // one group with an error
    const paths = resolvePaths(host.env, host.uid);
    const heard: [ProbeGroup, readonly Finding[]][] = [];
    const r = await runChecks(host, paths, { onProbe: (g, f) => void heard.push([g, f]) });
    // every group was heard by the time runChecks resolved, each exactly once
    expect(heard.map(([g]) => g).sort()).toEqual([...PROBE_GROUPS].sort());
    for (const [g, f] of heard) for (const x of f) expect(x.id.split(".")[0]).toBe(g);
    expect(heard.find(([g]) => g === "subid")![1].some((f) => f.level === "error")).toBe(true);
    // the findings, in report order, are the groups' findings in the groups' order
    const byGroup = new Map(heard);
    expect(r.findings).toEqual(PROBE_GROUPS.flatMap((g) => [...byGroup.get(g)!]));
    const without = await runChecks(host, paths);
    expect(r.findings).toEqual(without.findings);
    expect(r.ok).toBe(without.ok);
  });

  test("a fast group is heard while a slow one (the RootlessKit smoke test) is still running", async () => {
    let release: () => void;
    ({ host, release } = await machineWithHeldSmoke());
    const heard: ProbeGroup[] = [];
    let cgroupHeard!: () => void;
    const cgroup = new Promise<void>((r) => (cgroupHeard = r));
    const run = runChecks(host, resolvePaths(host.env, host.uid), {
      onProbe: (g) => {
        heard.push(g);
        if (g === "cgroup") cgroupHeard();
      },
    });
    await cgroup; // resolves only if cgroup is reported while the smoke test is held
    expect(heard).not.toContain("rootlesskit");
    release();
    const r = await run;
    expect(heard.indexOf("rootlesskit")).toBeGreaterThan(heard.indexOf("cgroup"));
    expect(r.findings.find((f) => f.id === "rootlesskit.smoke")?.level).toBe("ok");
  });

  test("the slowest probe, the RootlessKit run, is the first process started", async () => {
    const started: string[] = [];
    const commands = Object.fromEntries(Object.entries(baseCommands()).map(([name, h]) => [name, ((argv, o) => (started.push(`${name} ${argv[1] ?? ""}`), h(argv, o))) as Handler]));
    host = await machine({ commands });
    await runChecks(host, resolvePaths(host.env, host.uid));
    expect(started[0]).toBe("rootlesskit --disable-host-loopback");
    expect(started.length).toBeGreaterThan(3);
  });

  test("a listener that throws does not break the checks", async () => {
    host = await machine();
    const r = await runChecks(host, resolvePaths(host.env, host.uid), {
      onProbe: () => {
        throw new Error("display broke");
      },
    });
    expect(r.ok).toBe(true);
    expect(r.findings.length).toBeGreaterThan(0);
  });
});
