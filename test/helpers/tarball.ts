// Builds gzipped tar archives entry by entry (ustar headers written here), so tests can make
// the archives a real tool would refuse to create: `../` entries, escaping links, devices,
// setuid files. Also writes nerdctl-full-shaped bundles from the Debian programs.
import { createHash } from "node:crypto";
import { readFileSync, existsSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Entry {
  path: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "char-device" | "fifo";
  mode?: number;
  content?: Uint8Array | string;
  linkpath?: string;
}

const FLAG = { file: "0", dir: "5", symlink: "2", hardlink: "1", "char-device": "3", fifo: "6" } as const;

function header(e: Entry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, off: number, len: number) => h.set(new TextEncoder().encode(s).subarray(0, len), off);
  const oct = (n: number, off: number, len: number) => put(n.toString(8).padStart(len - 1, "0") + "\0", off, len);
  put(e.path, 0, 100);
  oct(e.mode ?? (e.type === "dir" ? 0o755 : 0o644), 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(Math.floor(Date.now() / 1000), 136, 12);
  put("        ", 148, 8);
  put(FLAG[e.type ?? "file"], 156, 1);
  put(e.linkpath ?? "", 157, 100);
  put("ustar\0" + "00", 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

/** A .tar.gz of these entries. */
export function makeTarGz(entries: Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const body = typeof e.content === "string" ? new TextEncoder().encode(e.content) : (e.content ?? new Uint8Array());
    const size = e.type === undefined || e.type === "file" ? body.byteLength : 0;
    parts.push(header(e, size));
    if (size) {
      parts.push(body);
      parts.push(new Uint8Array((512 - (size % 512)) % 512));
    }
  }
  parts.push(new Uint8Array(1024));
  return Bun.gzipSync(Buffer.concat(parts), { level: 1 }); // fast: the bundles of real programs are ~200 MB
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The Debian programs a nerdctl-full bundle carries that this machine has. */
export const BUNDLE_PROGRAMS = ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "rootlesskit", "rootlessctl", "slirp4netns"];

export interface BundleOptions {
  version: string;
  /** a directory of real programs that make up bin/ (scripts/debian-stack.ts) instead of this machine's BUNDLE_PROGRAMS */
  programs?: string;
  /** replaces bin/containerd (e.g. a script that exits at once) */
  containerd?: string;
  /** small stand-ins instead of the real programs (unit tests) */
  tiny?: boolean;
  /** built snapshotter daemons (scripts/go-fixtures.ts) by program name, carried as bin/<program> as the release carries them */
  snapshotters?: Record<string, string>;
}

/**
 * Entries in nerdctl-full's layout: bin/, libexec/cni/, share/doc/nerdctl-full/, with bin/buildkit-cni-*
 * links to libexec/cni as the release has (nerdctl's Dockerfile at v2.2.2 links every plugin so).
 */
export function bundleEntries(o: BundleOptions): Entry[] {
  const out: Entry[] = [{ path: "bin/", type: "dir" }];
  const programs = o.programs ? readdirSync(o.programs).sort() : BUNDLE_PROGRAMS;
  for (const p of programs) {
    const src = (o.programs ? [o.programs] : ["/usr/bin", "/usr/sbin"]).map((d) => join(d, p)).find((f) => existsSync(f));
    const content = p === "containerd" && o.containerd !== undefined ? o.containerd : o.tiny || !src ? `#!/bin/sh\necho ${p} ${o.version}\n` : readFileSync(src);
    out.push({ path: `bin/${p}`, mode: 0o755, content });
  }
  for (const [name, binary] of Object.entries(o.snapshotters ?? {})) out.push({ path: `bin/${name}`, mode: 0o755, content: readFileSync(binary) });
  out.push({ path: "libexec/", type: "dir" }, { path: "libexec/cni/", type: "dir" });
  // a bundle of real programs carries the plugins BuildKit's bridge networking runs; the others one (or a stand-in)
  const cni = o.tiny || !existsSync("/usr/lib/cni") ? ["bridge"] : o.programs ? ["bridge", "firewall", "host-local", "loopback"] : readdirSync("/usr/lib/cni").slice(0, 3);
  for (const p of cni) {
    out.push({ path: `libexec/cni/${p}`, mode: 0o755, content: o.tiny ? "#!/bin/sh\n" : readFileSync(join("/usr/lib/cni", p)) });
    out.push({ path: `bin/buildkit-cni-${p}`, type: "symlink", linkpath: `../libexec/cni/${p}` });
  }
  out.push({ path: "share/doc/nerdctl-full/README.md", content: `# nerdctl (full distribution)\n- nerdctl: v${o.version}\n` });
  return out;
}

/** Writes nerdctl-full-<version>-linux-<arch>.tar.gz and SHA256SUMS into `dir`; returns the file and its SHA-256. */
export function writeBundle(dir: string, o: BundleOptions & { arch?: string; extra?: Entry[] }): { file: string; name: string; sha256: string } {
  mkdirSync(dir, { recursive: true });
  const arch = o.arch ?? (process.arch === "arm64" ? "arm64" : "amd64");
  const name = `nerdctl-full-${o.version}-linux-${arch}.tar.gz`;
  const gz = makeTarGz([...bundleEntries(o), ...(o.extra ?? [])]);
  writeFileSync(join(dir, name), gz);
  const sum = sha256(gz);
  writeFileSync(join(dir, "SHA256SUMS"), `${sum}  ${name}\n`);
  return { file: join(dir, name), name, sha256: sum };
}
