// Builds a tiny OCI image layout tarball from /bin/busybox (busybox-static): one layer with
// bin/busybox and bin/sh (and, when asked, data/padding.bin: random bytes the container never
// reads, to make a layer that is mostly not needed to start it), a config, a manifest,
// index.json and oci-layout. No network needed.
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, readFileSync, rmSync, chmodSync, openSync, writeSync, closeSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

function sha256(data: Uint8Array | string): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

function tar(cwd: string, out: string, entries: string[]): void {
  const p = Bun.spawnSync(["tar", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", cwd, "-cf", out, ...entries]);
  if (p.exitCode !== 0) throw new Error(`tar failed: ${p.stderr.toString()}`);
}

/** Writes `bytes` random (incompressible) bytes to `path`, 1 MiB at a time. */
function writeRandom(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
}

/** Writes the image tarball to `out` and returns its reference name; `paddingBytes` adds data/padding.bin of that many random bytes. */
export function buildBusyboxImage(out: string, ref = "docker.io/library/busybox:crs-e2e", busybox = "/bin/busybox", paddingBytes = 0): string {
  const work = mkdtempSync(join(tmpdir(), "crs-oci-"));
  try {
    const rootfs = join(work, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    copyFileSync(busybox, join(rootfs, "bin/busybox"));
    chmodSync(join(rootfs, "bin/busybox"), 0o755);
    symlinkSync("busybox", join(rootfs, "bin/sh"));
    if (paddingBytes > 0) {
      mkdirSync(join(rootfs, "data"));
      writeRandom(join(rootfs, "data/padding.bin"), paddingBytes);
    }
    const layerTar = join(work, "layer.tar");
    tar(rootfs, layerTar, paddingBytes > 0 ? ["bin", "data"] : ["bin"]);
    const layer = readFileSync(layerTar);
    const layerDigest = sha256(layer);

    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/sh"], Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
    });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerDigest}`, size: layer.length }],
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${sha256(manifest)}`,
          size: manifest.length,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.split(":").pop()! },
        },
      ],
    });
    const layout = join(work, "layout");
    const blobs = join(layout, "blobs/sha256");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, layerDigest), layer);
    writeFileSync(join(blobs, sha256(config)), config);
    writeFileSync(join(blobs, sha256(manifest)), manifest);
    writeFileSync(join(layout, "index.json"), index);
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    tar(layout, out, ["oci-layout", "index.json", "blobs"]);
    return ref;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
