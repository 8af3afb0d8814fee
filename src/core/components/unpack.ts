// Unpacks a verified bundle into a fresh directory, refusing anything that could reach
// outside it or gain privileges: absolute paths, `..`, entries under a symbolic link,
// links whose target leaves the directory, hard links, device files and FIFOs, setuid and
// setgid bits, and the programs that must come from the distribution (newuidmap and
// newgidmap are setuid root there; a copy from a bundle could not work and must not be
// tried). The caller unpacks into a temporary directory on the same file system and renames
// it into place, so a refused or broken archive leaves nothing behind.
import { dirname, join, posix } from "node:path";
import type { Host } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import { readTar, TarFormatError, type TarEntry } from "./tar.ts";
import { Reclaimer } from "./memory.ts";

/** Programs that need root: never taken from a bundle. */
export const ROOT_PROGRAMS = ["newuidmap", "newgidmap"];

export class UnsafeEntry extends UserError {
  constructor(entry: string, why: string) {
    super(`refusing the bundle: entry "${entry}" ${why}; nothing was unpacked`, "Use the official nerdctl-full tarball (https://github.com/containerd/nerdctl/releases), or check where this file came from.");
  }
}

/** The gunzipped bytes of a file, streamed. */
function gunzip(host: Host, path: string): AsyncIterable<Uint8Array> {
  const it = host.readChunks(path);
  const raw = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const r = await it.next();
      if (r.done) ctl.close();
      else ctl.enqueue(r.value);
    },
    async cancel() {
      await it.return(undefined);
    },
  });
  return raw.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>) as unknown as AsyncIterable<Uint8Array>;
}

/** The entry's path relative to the bundle root ("" for the root itself), or a refusal. */
export function safePath(e: TarEntry, links: Set<string>): string {
  if (e.path.startsWith("/")) throw new UnsafeEntry(e.path, "has an absolute path");
  const parts = e.path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new UnsafeEntry(e.path, "contains `..`");
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (links.has(prefix)) throw new UnsafeEntry(e.path, `would be written through the symbolic link ${prefix}`);
  }
  return parts.join("/");
}

/** A symlink's target must stay inside: relative, `..` only at its start and no deeper than the link's own directory. */
export function checkLink(rel: string, e: TarEntry): void {
  const target = e.linkpath;
  if (!target || target.startsWith("/")) throw new UnsafeEntry(e.path, `is a symbolic link to ${target || "nothing"}, outside the bundle`);
  const segs = target.split("/").filter((p) => p !== "" && p !== ".");
  const ups = segs.findIndex((s) => s !== "..");
  const leading = ups < 0 ? segs.length : ups;
  if (segs.slice(leading).includes("..") || leading > rel.split("/").length - 1) {
    throw new UnsafeEntry(e.path, `is a symbolic link to ${target}, which leaves the bundle (resolves to ${posix.normalize(posix.join(posix.dirname(rel), target))})`);
  }
}

function checkEntry(e: TarEntry, rel: string): void {
  if (e.type === "hardlink") throw new UnsafeEntry(e.path, `is a hard link (to ${e.linkpath}); bundles use symbolic links`);
  if (e.type === "char-device" || e.type === "block-device") throw new UnsafeEntry(e.path, "is a device file");
  if (e.type === "fifo" || e.type === "other") throw new UnsafeEntry(e.path, `is a special file (${e.type})`);
  if (e.mode & 0o6000) throw new UnsafeEntry(e.path, `has the ${e.mode & 0o4000 ? "setuid" : "setgid"} bit (mode ${(e.mode & 0o7777).toString(8)})`);
  if (ROOT_PROGRAMS.includes(posix.basename(rel)) && e.type !== "dir") throw new UnsafeEntry(e.path, "is a program that needs root; it must come from the distribution (uidmap package)");
}

export interface Unpacked {
  files: number;
  bytes: number;
}

/** Unpacks the gzipped tarball `tarball` into `into` (which must not exist). On failure, `into` is removed. */
export async function unpackInto(host: Host, tarball: string, into: string): Promise<Unpacked> {
  const links = new Set<string>();
  let files = 0;
  let bytes = 0;
  const reclaim = new Reclaimer();
  await host.mkdirp(into, 0o755);
  try {
    for await (const { entry, body } of readTar(gunzip(host, tarball))) {
      const rel = safePath(entry, links);
      checkEntry(entry, rel);
      if (rel === "") continue;
      const dest = join(into, rel);
      if (entry.type === "dir") {
        await host.mkdirp(dest, (entry.mode & 0o777) | 0o700);
        continue;
      }
      await host.mkdirp(dirname(dest), 0o755);
      if (entry.type === "symlink") {
        checkLink(rel, entry);
        await host.symlink(entry.linkpath, dest);
        links.add(rel);
        continue;
      }
      const out = await host.createWriter(dest, entry.mode & 0o777);
      try {
        for await (const chunk of body) {
          await out.write(chunk);
          reclaim.add(chunk.byteLength);
        }
      } finally {
        await out.close();
      }
      files++;
      bytes += entry.size;
    }
  } catch (e) {
    await host.remove(into, { recursive: true });
    if (e instanceof UserError) throw e;
    if (e instanceof TarFormatError) throw new UserError(`the bundle is not a valid tar.gz: ${e.message}; nothing was unpacked`, "Download it again, or check that --from points at a nerdctl-full-*.tar.gz file.");
    throw new UserError(`cannot unpack the bundle: ${(e as Error).message}; nothing was unpacked`, "Check the free space and permissions under ~/.local/share, or download the file again.");
  }
  return { files, bytes };
}
