// The user's config.toml and nerdctl.toml in odd states: exactly what a created file would be,
// symbolic links (dotfiles managed by stow), dangling links, directories. Each is edited
// minimally and given back byte for byte, or refused before anything changes.
import { afterEach, describe, expect, test } from "bun:test";
import { parseTOML } from "confbox";
import { symlink, mkdir, readlink } from "node:fs/promises";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { installedAddons, planAddons } from "../../src/core/lifecycle/addons.ts";
import { removeEmptyDirs } from "../../src/core/plan/execute.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import { backupPath } from "../../src/core/os/paths.ts";
import "../../src/plugins/index.ts"; // the add-ons register themselves (the engine does not load them)

let host: TestHost;
afterEach(() => host?.cleanup());

const HOME = "/home/alice";
const CONFIG = `${HOME}/.config/containerd/config.toml`;
const NERDCTL = `${HOME}/.config/nerdctl/nerdctl.toml`;
const GLOB = `${HOME}/.config/containerd/conf.d/*.toml`;

async function setup(files: Record<string, string> = {}) {
  host = await makeTestHost({
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", ...files },
    commands: {
      systemctl: (argv) => (argv[2] !== "show" ? ok() : ok(argv.slice(argv.indexOf("--") + 1).map((n) => `Id=${n}\nLoadState=loaded\nActiveState=${n === "containerd.service" ? "active" : "inactive"}\nSubState=running\n`).join("\n"))),
      "/usr/local/bin/containerd-stargz-grpc": () => ok(),
    },
  });
  return resolvePaths(host.env, host.uid);
}

async function applyFiles(steps: Step[], emptyDirs: string[] = []) {
  for (const s of steps) {
    if (s.kind === "write") await host.writeFileAtomic(s.path, s.content, s.mode);
    else if (s.kind === "remove") await host.remove(s.path);
  }
  await removeEmptyDirs(host, emptyDirs);
}

async function installThenUninstall(paths: ReturnType<typeof resolvePaths>) {
  await applyFiles((await planAddons(host, paths, ["stargz"], "install")).steps);
  const rm = await planAddons(host, paths, ["stargz"], "uninstall");
  await applyFiles(rm.steps, rm.emptyDirs);
}

const link = async (target: string, at: string) => {
  await mkdir(host.path(at).replace(/\/[^/]+$/, ""), { recursive: true });
  await symlink(host.path(target), host.path(at));
};

describe("user config files", () => {
  test('a user config.toml that is just "version = 2" comes back, not deleted', async () => {
    const paths = await setup({ [CONFIG]: "version = 2\n" });
    await applyFiles((await planAddons(host, paths, ["stargz"], "install")).steps);
    expect((parseTOML((await host.readText(CONFIG))!) as any).imports).toEqual([GLOB]);
    const rm = await planAddons(host, paths, ["stargz"], "uninstall");
    await applyFiles(rm.steps, rm.emptyDirs);
    expect(await host.readText(CONFIG)).toBe("version = 2\n");
  });

  test("a config.toml this tool created is deleted again", async () => {
    const paths = await setup();
    await installThenUninstall(paths);
    expect(await host.exists(CONFIG)).toBe(false);
  });

  test("the user's own empty ~/.config/containerd-stargz-grpc stays after install + uninstall; one the install made goes", async () => {
    // the bug: uninstall removed that directory whenever it was empty, as if install had made it
    const mine = `${HOME}/.config/containerd-stargz-grpc`;
    let paths = await setup();
    await mkdir(host.path(mine), { recursive: true });
    await installThenUninstall(paths);
    expect(await host.exists(mine)).toBe(true);
    expect(await host.exists(`${mine}/config.toml`)).toBe(false);
    await host.cleanup();
    paths = await setup();
    await installThenUninstall(paths);
    expect(await host.exists(mine)).toBe(false);
  });

  test("symbolic links (dotfiles managers): the targets are edited, the links stay links, the bytes come back", async () => {
    const userCfg = "# dotfiles\nversion = 2\n";
    const userNerdctl = 'namespace = "default"\n';
    const paths = await setup({ [`${HOME}/dotfiles/containerd/config.toml`]: userCfg, [`${HOME}/dotfiles/nerdctl/nerdctl.toml`]: userNerdctl });
    await link(`${HOME}/dotfiles/containerd/config.toml`, CONFIG);
    await link(`${HOME}/dotfiles/nerdctl/nerdctl.toml`, NERDCTL);
    const plan = await planAddons(host, paths, ["stargz"], "install");
    expect(plan.notes.join("\n")).toContain(`${CONFIG} is a symbolic link: its target ${HOME}/dotfiles/containerd/config.toml is edited`);
    await applyFiles(plan.steps);
    expect((await host.stat(CONFIG))!.isSymlink).toBe(true);
    expect((parseTOML((await host.readText(CONFIG))!) as any).imports).toEqual([GLOB]);
    expect((parseTOML((await host.readText(NERDCTL))!) as any).snapshotter).toBe("stargz");
    const rm = await planAddons(host, paths, ["stargz"], "uninstall");
    await applyFiles(rm.steps, rm.emptyDirs);
    expect(await readlink(host.path(CONFIG))).toBe(host.path(`${HOME}/dotfiles/containerd/config.toml`));
    expect(await host.readText(`${HOME}/dotfiles/containerd/config.toml`)).toBe(userCfg);
    expect(await host.readText(`${HOME}/dotfiles/nerdctl/nerdctl.toml`)).toBe(userNerdctl);
  });

  test("a relative link out of ~/.config/containerd (stow's kind) is refused: containerd sees that directory as /etc/containerd", async () => {
    const paths = await setup({ [`${HOME}/dotfiles/config.toml`]: "version = 2\n" });
    await mkdir(host.path(`${HOME}/.config/containerd`), { recursive: true });
    await symlink("../../dotfiles/config.toml", host.path(CONFIG));
    const refusal = planAddons(host, paths, ["stargz"], "install");
    await expect(refusal).rejects.toThrow(/relative symbolic link \(\.\.\/\.\.\/dotfiles\/config\.toml\)/);
    await expect(refusal).rejects.toMatchObject({ fix: expect.stringContaining(`ln -sfn ${HOME}/dotfiles/config.toml ${CONFIG}`) });
    // a relative link that stays inside the directory resolves there too: accepted
    await host.remove(CONFIG);
    await host.writeFileAtomic(`${HOME}/.config/containerd/mine.toml`, "version = 2\n");
    await symlink("mine.toml", host.path(CONFIG));
    await installThenUninstall(paths);
    expect(await host.readText(`${HOME}/.config/containerd/mine.toml`)).toBe("version = 2\n");
  });

  test("config.toml broken after install: `uninstall` of everything is refused with the TOML error, not done without the add-on", async () => {
    const paths = await setup({ [CONFIG]: "version = 2\n" });
    await applyFiles((await planAddons(host, paths, ["stargz"], "install")).steps);
    expect(await installedAddons(host, paths)).toEqual(["stargz"]);
    await host.writeFileAtomic(CONFIG, (await host.readText(CONFIG)) + "[broken\n");
    await expect(installedAddons(host, paths)).rejects.toThrow(/config\.toml is not valid TOML \(line 3/);
  });

  test("backups of one file planned within the same millisecond get distinct names (the first holds the user's original)", async () => {
    const paths = await setup();
    const names = Array.from({ length: 50 }, () => backupPath(paths, NERDCTL));
    expect(new Set(names).size).toBe(50);
  });

  test("a dangling link or a directory is refused, nothing planned", async () => {
    const paths = await setup();
    await link(`${HOME}/dotfiles/gone.toml`, CONFIG);
    await expect(planAddons(host, paths, ["stargz"], "install")).rejects.toThrow(`${CONFIG} is a symbolic link to a file that does not exist`);
    await host.remove(CONFIG);
    await mkdir(host.path(CONFIG), { recursive: true });
    await expect(planAddons(host, paths, ["stargz"], "install")).rejects.toThrow(`${CONFIG} is not a regular file`);
    expect(await host.exists(`${HOME}/.config/containerd/conf.d`)).toBe(false);
  });
});
