// The throwaway image verify runs its containers from, made here without any download: one
// layer with nothing but mount points (the host's /usr, /lib*, /bin... are bind-mounted
// read-only over them; where the host has a symlink, e.g. merged /usr's /bin -> usr/bin, the
// layer has the same link), as an OCI image layout in a tar (what `ctr images import` reads,
// from stdin). Small (a few KB), so importing it proves the snapshotter path (content, unpack,
// an overlay snapshot) without costing time; verify removes it afterwards.
import type { Host } from "../os/host.ts";

/** The top-level host directories a dynamically linked program (this binary) needs. */
export const HOST_DIRS = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/** Mount points the runtime fills (proc, dev, sys), and where the agent and files go. */
const OWN_DIRS = ["proc", "dev", "sys", "etc", "tmp", "run", "crs"];
export const AGENT_PATH = "/crs/agent";

export interface RootEntry {
  name: string;
  /** a symlink's target; absent for a directory */
  link?: string;
}

/** What the layer holds: each host dir as the host has it (a link, or a mount point), then our own mount points. */
export async function layerEntries(host: Host): Promise<{ entries: RootEntry[]; mounts: string[] }> {
  const entries: RootEntry[] = [];
  const mounts: string[] = [];
  for (const name of HOST_DIRS) {
    const st = await host.stat(`/${name}`).catch(() => null);
    const link = await host.readlink(`/${name}`).catch(() => null);
    if (link) entries.push({ name, link });
    else if (st?.isDirectory) {
      entries.push({ name });
      mounts.push(`/${name}`);
    }
  }
  for (const name of OWN_DIRS) entries.push({ name });
  return { entries, mounts };
}

const enc = new TextEncoder();

/** One 512-byte ustar header (POSIX.1-1988) for a directory, symlink or regular file of `size` bytes. */
function header(name: string, type: "0" | "2" | "5", size = 0, link = ""): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, len: number, text: string) => h.set(enc.encode(text).subarray(0, len), at);
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0");
  put(0, 100, name);
  put(100, 8, octal(type === "0" ? 0o644 : 0o755, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0, 12));
  put(148, 8, "        ");
  put(156, 1, type);
  put(157, 100, link);
  put(257, 8, "ustar\x0000");
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** A tar of the entries, and files given as [name, content]. */
export function tar(dirs: RootEntry[], files: [string, Uint8Array][] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of dirs) parts.push(e.link ? header(e.name, "2", 0, e.link) : header(`${e.name}/`, "5"));
  for (const [name, data] of files) {
    parts.push(header(name, "0", data.length), data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");
const OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/** The OCI image layout tar of a one-layer image named `ref` whose layer is `layer`. */
export function ociArchive(ref: string, layer: Uint8Array, arch: string): Uint8Array {
  const config = enc.encode(JSON.stringify({ architecture: OCI_ARCH[arch] ?? arch, os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layer)}`] } }));
  const manifest = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${sha256(layer)}`, size: layer.length }],
    }),
  );
  const index = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${sha256(manifest)}`, size: manifest.length, annotations: { "io.containerd.image.name": ref } }],
    }),
  );
  const blobs: [string, Uint8Array][] = [layer, config, manifest].map((b) => [`blobs/sha256/${sha256(b)}`, b]);
  return tar([{ name: "blobs" }, { name: "blobs/sha256" }], [["oci-layout", enc.encode('{"imageLayoutVersion":"1.0.0"}')], ["index.json", index], ...blobs]);
}
