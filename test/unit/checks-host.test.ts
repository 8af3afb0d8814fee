// The probes about where rootless containerd runs (issue 12, item 5), on a TestHost: the file
// system under containerd's data root (`stat -f -c %T`), and running inside a user namespace
// already (/proc/self/uid_map not the whole range).
import { test, expect, afterEach, describe } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId } from "./checks-fixture.ts";
import { isFullRange, parseIdMap } from "../../src/core/checks/userns.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const statSays = (type: string, seen: string[] = []) => (argv: string[]) => {
  seen.push(argv.slice(1).join(" "));
  return ok(`${type}\n`);
};

describe("data root file system", () => {
  test("on NFS: a warning naming the directory, with a local root as the fix; asked of the nearest existing parent", async () => {
    const seen: string[] = [];
    host = await machine({ commands: { stat: statSays("nfs", seen) } });
    const r = await check(host);
    const f = byId(r, "dataroot.filesystem")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("/home/alice/.local/share/containerd (its parent /home/alice) is on nfs");
    expect(f.fix).toContain('root = "/LOCAL/DISK/alice/containerd"');
    expect(seen).toEqual(["-f -c %T /home/alice"]);
    expect(r.ok).toBe(true);
  });

  test("XDG_DATA_HOME moves it; FUSE and CIFS fail as NFS does; ext4, tmpfs and zfs do not", async () => {
    const seen: string[] = [];
    host = await machine({ env: { XDG_DATA_HOME: "/data/alice" }, dirs: ["/data/alice/containerd"], commands: { stat: statSays("fuse.sshfs", seen) } });
    expect(byId(await check(host), "dataroot.filesystem")?.level).toBe("warning");
    expect(seen).toEqual(["-f -c %T /data/alice/containerd"]);
    for (const [type, level] of [["cifs", "warning"], ["ext2/ext3", "ok"], ["tmpfs", "info"], ["zfs", "info"]] as const) {
      await host.cleanup();
      host = await machine({ commands: { stat: statSays(type) } });
      expect(byId(await check(host), "dataroot.filesystem")?.level).toBe(level);
    }
  });

  test("ext4 is called ext4 (stat -f says ext2/ext3 for all three; the mount table tells): the longest mount point above the directory", async () => {
    const mountinfo = [
      "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro",
      "25 22 0:21 / /home rw,relatime shared:5 - ext3 /dev/vdb rw",
      "26 22 0:22 / /home/al rw,relatime shared:6 - tmpfs tmpfs rw",
      "27 25 0:23 / /home/alice\\040x rw,relatime shared:7 - xfs /dev/vdc rw",
    ].join("\n");
    host = await machine({ files: { "/proc/self/mountinfo": mountinfo }, commands: { stat: statSays("ext2/ext3") } });
    expect(byId(await check(host), "dataroot.filesystem")?.message).toBe("containerd's data root /home/alice/.local/share/containerd (its parent /home/alice) is on ext3");
    await host.cleanup();
    host = await machine({ files: { "/proc/self/mountinfo": mountinfo.split("\n")[0]! }, commands: { stat: statSays("ext2/ext3") } });
    expect(byId(await check(host), "dataroot.filesystem")?.message).toEndWith("is on ext4");
    await host.cleanup();
    host = await machine({ commands: { stat: statSays("ext2/ext3") } });
    expect(byId(await check(host), "dataroot.filesystem")?.message).toEndWith("is on ext2/ext3/ext4");
  });

  test("a `root` in the user's config.toml is the data root; root = /var/lib/containerd is the default one", async () => {
    const seen: string[] = [];
    host = await machine({ files: { "/home/alice/.config/containerd/config.toml": 'version = 2\nroot = "/scratch/alice/containerd"\n' }, dirs: ["/scratch/alice"], commands: { stat: statSays("xfs", seen) } });
    expect(byId(await check(host), "dataroot.filesystem")?.message).toBe("containerd's data root /scratch/alice/containerd (its parent /scratch/alice) is on xfs");
    await host.cleanup();
    host = await machine({ files: { "/home/alice/.config/containerd/config.toml": 'root = "/var/lib/containerd"\n' }, commands: { stat: statSays("xfs") } });
    expect(byId(await check(host), "dataroot.filesystem")?.message).toContain("/home/alice/.local/share/containerd");
  });
});

describe("inside a user namespace already", () => {
  test("the whole range: not nested, nothing to say", async () => {
    host = await machine({ files: { "/proc/self/uid_map": "         0          0 4294967295\n", "/proc/self/gid_map": "0 0 4294967295\n" } });
    expect(byId(await check(host), "userns.nested")).toBeUndefined();
    expect(isFullRange(parseIdMap("0 0 4294967295\n"))).toBe(true);
  });

  test("an LXD-like map that holds the sub-ids: information", async () => {
    const map = "0 1000000 1000000000\n";
    host = await machine({ files: { "/proc/self/uid_map": map, "/proc/self/gid_map": map } });
    const f = byId(await check(host), "userns.nested")!;
    expect(f.level).toBe("info");
    expect(f.message).toContain("uid_map 0 1000000 1000000000");
  });

  test("a CI container mapping 65536 ids: the sub-id ranges outside it are a warning naming the line", async () => {
    const map = "0 100000 65536\n";
    host = await machine({ files: { "/proc/self/uid_map": map, "/proc/self/gid_map": map } });
    const r = await check(host);
    const f = byId(r, "userns.nested")!;
    expect(f.level).toBe("warning");
    expect(f.message).toContain("alice:100000:65536 (/etc/subuid line 1)");
    expect(f.message).toContain("alice:100000:65536 (/etc/subgid line 1)");
    expect(f.fix).toContain("security.idmap.size");
  });

  test("parsing several mappings", () => {
    expect(parseIdMap("0 1000 1\n1 100000 65536\n")).toEqual([{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 100000, count: 65536 }]);
  });
});
