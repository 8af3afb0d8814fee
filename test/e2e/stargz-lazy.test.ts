// Lazy pulling through the product's stargz unit, for real: containerd-stargz-grpc built from
// Debian's stargz-snapshotter library (scripts/go-fixtures.ts), a local registry (Debian's
// docker-registry, scripts/local-registry.ts) on the loopback the snapshotter sees, an image of
// busybox plus 32 MiB the container never reads, converted with Debian's `ctr-remote image
// convert --estargz` and pushed, then pulled with `ctr-remote image rpull` (what upstream
// documents for ctr; nerdctl is not packaged) and run.
//
// Lazy means: containerd never downloads the layer (its content store has no blob of it), the
// layer is a FUSE file system served by the snapshotter (the container's overlay stacks on it),
// and the registry served that layer only in ranges (206), far fewer bytes than its size, when
// the container had already run. The user's stargz config turns off upstream's background fetch
// (`no_background_fetch`, which would otherwise fetch the rest of the layer a few seconds later),
// so what the registry served is only what starting the container read; the product keeps that
// file as the user wrote it. An image that is not eStargz falls back to plain overlay snapshots,
// fetched whole, as upstream does.
import { test, expect, describe } from "bun:test";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { useSandbox } from "../helpers/e2e.ts";
import { installSnapshotters, mountType, runContainer, type SnapshotterHome } from "../helpers/snapshotter-e2e.ts";
import { buildBusyboxImage } from "./oci-image.ts";
import { startRegistry, type LocalRegistry } from "../../scripts/local-registry.ts";

const PADDING = 32 << 20;
const USER_STARGZ_CONFIG = "# mine: no background fetch, so the registry log shows only what starting a container read\nno_background_fetch = true\n";

interface Layer {
  digest: string;
  size: number;
}

let home: SnapshotterHome;
let registry: LocalRegistry;
let esgz: { ref: string; layer: Layer };
let plain: { ref: string; layer: Layer };

const e2e = useSandbox("crslazy-e2e", {
  setup: async () => {
    home = await installSnapshotters(e2e);
    e2e.sb.writeFile(stargzConfig(), USER_STARGZ_CONFIG);
    expect(Bun.spawnSync(["chown", "-R", `${e2e.sb.user}:`, `${e2e.sb.home}/.config`]).exitCode).toBe(0);
    e2e.mustRun(["install", "--yes"], { env: { PATH: home.path }, timeoutMs: 90_000 });
    e2e.mustRun(["install", "stargz", "--yes"], { env: { PATH: home.path }, timeoutMs: 120_000 });
    registry = await startRegistry(e2e.sb, e2e.bin);
    const tarball = `${e2e.sb.home}/lazy-oci.tar`;
    const source = buildBusyboxImage(tarball, "docker.io/library/busybox:crs-lazy", "/bin/busybox", PADDING);
    expect(Bun.spawnSync(["chown", `${e2e.sb.user}:`, tarball]).exitCode).toBe(0);
    must(["ctr", "-n", "default", "images", "import", "--no-unpack", tarball]);
    esgz = { ref: `${registry.address}/crs/busybox:esgz`, layer: { digest: "", size: 0 } };
    plain = { ref: `${registry.address}/crs/busybox:plain`, layer: { digest: "", size: 0 } };
    must(["ctr-remote", "-n", "default", "image", "convert", "--estargz", "--oci", source, esgz.ref], 300_000);
    must(["ctr", "-n", "default", "images", "tag", source, plain.ref]);
    for (const image of [esgz, plain]) {
      image.layer = layerOf(image.ref);
      must(["ctr", "-n", "default", "images", "push", "--plain-http", image.ref], 300_000);
    }
    must(["ctr", "-n", "default", "images", "rm", "--sync", source, esgz.ref, plain.ref]);
    expect(contentDigests()).not.toContain(esgz.layer.digest); // nothing of the layers is left locally
    expect(contentDigests()).not.toContain(plain.layer.digest);
  },
  setupTimeoutMs: 600_000,
});

const stargzConfig = () => `${e2e.sb.home}/.config/containerd-stargz-grpc/config.toml`;
const inNs = (argv: string[], timeoutMs = 120_000) => e2e.run(["nsenter", "--", ...argv], { env: { PATH: home.path }, timeoutMs });
function must(argv: string[], timeoutMs?: number): string {
  const r = inNs(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
/** The digests in containerd's content store. */
const contentDigests = () => must(["ctr", "-n", "default", "content", "ls", "-q"]).split("\n").filter(Boolean);
/** The single layer of an image in containerd's content store (its manifest, read back through ctr). */
function layerOf(ref: string): Layer {
  const line = must(["ctr", "-n", "default", "images", "ls"]).split("\n").find((l) => l.startsWith(`${ref} `));
  const manifest = JSON.parse(must(["ctr", "-n", "default", "content", "get", line!.split(/\s+/)[2]!]));
  expect(manifest.layers.length).toBe(1);
  return { digest: manifest.layers[0].digest, size: manifest.layers[0].size };
}
/** containerd's namespace's mount table: mount point -> { type, source }. */
function namespaceMounts(): Map<string, { type: string; source: string }> {
  return new Map(must(["cat", "/proc/self/mountinfo"]).split("\n").filter(Boolean).map((l) => [l.split(" ")[4]!, mountType(l)]));
}
const lowerdirs = (rootLine: string) => /lowerdir=([^,]+)/.exec(rootLine)![1]!.split(":");
const stargzMounts = () => [...namespaceMounts().entries()].filter(([, m]) => m.type.startsWith("fuse") && m.source === "stargz");

describe("stargz lazy pulling from a local registry, through the product's unit", () => {
  test("the user's stargz config is kept and handed to the daemon", () => {
    expect(readFileSync(stargzConfig(), "utf8")).toBe(USER_STARGZ_CONFIG);
    const pid = e2e.show("stargz-snapshotter.service", "MainPID");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(stargzConfig());
  });

  test("an eStargz image runs before its layer is fetched: a FUSE layer served by the snapshotter, range requests only", () => {
    const pulled = inNs(["ctr-remote", "-n", "default", "image", "rpull", "--plain-http", esgz.ref]);
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    // containerd fetched the manifest and config only: the layer never entered its content store
    expect(contentDigests()).not.toContain(esgz.layer.digest);
    const root = runContainer(e2e, home.path, esgz.ref, "stargz", "crs-lazy");
    expect(mountType(root).type).toBe("overlay");
    const [lower] = lowerdirs(root);
    expect(lower).toStartWith(`${e2e.sb.home}/.local/share/containerd-stargz-grpc/snapshotter/snapshots/`);
    // that lower layer is stargz's FUSE file system, and the snapshotter is its server (/dev/fuse open)
    expect(namespaceMounts().get(lower!)?.source).toBe("stargz");
    expect(namespaceMounts().get(lower!)?.type).toStartWith("fuse");
    const pid = e2e.show("stargz-snapshotter.service", "MainPID");
    expect(readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ""; } })).toContain("/dev/fuse");
    // the registry: the layer only in ranges, and far less of it than its size, once the container had run
    const gets = registry.blobRequests(esgz.layer.digest).filter((r) => r.method === "GET");
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.filter((r) => r.status !== 206)).toEqual([]);
    const served = gets.reduce((n, r) => n + r.bytes, 0);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(esgz.layer.size / 4);
    expect(esgz.layer.size).toBeGreaterThan(PADDING);
  }, 180_000);

  test("an image that is not eStargz falls back to a whole download and plain overlay snapshots", () => {
    const pulled = inNs(["ctr-remote", "-n", "default", "image", "rpull", "--plain-http", plain.ref]);
    expect(pulled.code).toBe(0);
    expect(contentDigests()).toContain(plain.layer.digest);
    // the snapshotter reads the layer's end by range to look for an eStargz footer; containerd then downloads it whole
    expect(registry.blobRequests(plain.layer.digest)).toContainEqual({ method: "GET", status: 200, bytes: plain.layer.size });
    const root = runContainer(e2e, home.path, plain.ref, "stargz", "crs-plain");
    const [lower] = lowerdirs(root);
    expect(lower).toStartWith(`${e2e.sb.home}/.local/share/containerd-stargz-grpc/snapshotter/snapshots/`);
    expect(namespaceMounts().has(lower!)).toBe(false); // a directory, not a mount
  }, 180_000);

  test("uninstall stargz leaves no stargz FUSE mount behind", () => {
    expect(stargzMounts().length).toBeGreaterThan(0);
    // the registry joined RootlessKit's namespaces through nsenter: it would keep the old ones (and their mounts) alive
    registry.stop();
    const r = e2e.run(["uninstall", "stargz", "--yes"], { env: { PATH: home.path }, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(stargzMounts()).toEqual([]);
    const anywhere = e2e.sb.pids().filter((p) => { try { return / - fuse\S* stargz /.test(readFileSync(`/proc/${p}/mountinfo`, "utf8")); } catch { return false; } });
    expect(anywhere.map((p) => readFileSync(`/proc/${p}/cmdline`, "utf8"))).toEqual([]);
  }, 180_000);
});
