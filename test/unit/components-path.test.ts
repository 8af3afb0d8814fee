// The active bundle comes first on the units' PATH: containerd's unit (install-plan) and an
// add-on run from the bundle (daemon-unit); nothing changes while no bundle is active.
import { expect, test } from "bun:test";
import { makeTestHost, ok } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { daemonUnit } from "../../src/plugins/kit/daemon-unit.ts";
import { activate, currentBin, versionDir } from "../../src/core/components/store.ts";

const show = (argv: string[]) => (argv[2] === "show" ? ok(argv.slice(argv.indexOf("--") + 1).map((n) => `Id=${n}\nLoadState=loaded\nActiveState=inactive\n`).join("\n")) : ok());

test("containerd's unit PATH starts with components/current/bin once a bundle is active, and only then", async () => {
  const host = await makeTestHost({ commands: { systemctl: show } });
  try {
    const paths = resolvePaths(host.env, host.uid);
    expect((await planInstall(host, paths)).servicePath).not.toContain("components");
    await host.mkdirp(`${versionDir(paths, "2.2.2")}/bin`);
    await activate(host, paths, "2.2.2");
    const plan = await planInstall(host, paths);
    expect(plan.servicePath.split(":")[0]).toBe(currentBin(paths));
    expect(plan.unitText).toContain(`Environment=PATH=${currentBin(paths)}:`);
  } finally {
    await host.cleanup();
  }
});

test("an add-on daemon run from the bundle has the bundle first on its PATH; one from elsewhere does not", async () => {
  const host = await makeTestHost({});
  try {
    const paths = resolvePaths(host.env, host.uid);
    const pathOf = (argv0: string) => daemonUnit(paths, host, { name: "buildkit.service", description: "BuildKit", argv: [argv0], inNamespace: true }).service.find(([k]) => k === "Environment")![1];
    expect(pathOf(`${currentBin(paths)}/buildkitd`)).toContain(`PATH=${currentBin(paths)}:`);
    expect(pathOf("/usr/local/bin/buildkitd")).not.toContain("components");
  } finally {
    await host.cleanup();
  }
});
