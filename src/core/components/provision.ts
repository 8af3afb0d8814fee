// Fetch, verify, unpack: a bundle from a URL, a local file or the default release becomes
// components/<version>/, or nothing changes at all. The SHA-256 is checked before a single
// entry is unpacked; the tree is unpacked beside the others under a temporary name and
// renamed into place; every file and directory this created is removed on failure.
import { basename, dirname, join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { checkScheme, downloadToFile, type Progress } from "./download.ts";
import { bundleArch, checkHex, TRUST_TEXT, type Trust, DEFAULT_VERSION, normalizeVersion, PINNED, releaseUrl, sumFor, versionFromName } from "./release.ts";
import { componentsDir, metaFile, readMeta, versionDir, type BundleMeta } from "./store.ts";
import { unpackInto } from "./unpack.ts";

export interface BundleRequest {
  version?: string;
  /** a URL (mirror) or a local file (air-gapped) */
  from?: string;
  sha256?: string;
  insecureHttp?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** download tuning (tests) */
  stallMs?: number;
  retries?: number;
}

export interface Provisioned extends BundleMeta {
  dir: string;
  /** false when this version was already unpacked */
  changed: boolean;
  /** where the expected checksum came from */
  trust: Trust | "verified earlier";
  bytes: number;
  /** the whole provisioning: fetch (or read), verify, unpack */
  ms: number;
  /** of which fetching (or reading) and hashing the tarball */
  fetchMs: number;
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The version and the source a request names. */
export function resolveRequest(host: Host, req: BundleRequest): { version: string; source: string; local: boolean } {
  const arch = bundleArch(host.arch);
  const fromName = req.from ? versionFromName(basename(req.from.split("?")[0]!)) : undefined;
  if (req.from && !req.version && !fromName) throw new UserError(`cannot tell the version of ${req.from} from its name`, `Pass --version too (e.g. --version ${DEFAULT_VERSION}).`);
  const version = normalizeVersion(req.version ?? fromName ?? DEFAULT_VERSION);
  const source = req.from ?? releaseUrl(version, arch);
  return { version, source, local: !isUrl(source) };
}

const missingFile = (source: string) => new UserError(`${source} does not exist`, "Give the path of a downloaded nerdctl-full-*.tar.gz to --from.");

/**
 * What a request can be refused for before anything is fetched, without touching the disk:
 * the version, the --sha256 syntax, the URL's scheme (--insecure-http). The UI's form asks it
 * on every keystroke; the same errors the commands give.
 */
export function checkRequestSyntax(host: Host, req: BundleRequest): { version: string; source: string; local: boolean } {
  const r = resolveRequest(host, req);
  if (req.sha256) checkHex(req.sha256);
  if (!r.local) checkScheme(r.source, req.insecureHttp);
  return r;
}

/** checkRequestSyntax, and a local file must exist: what the UI checks before it plans a fetch. */
export async function checkRequest(host: Host, req: BundleRequest): Promise<{ version: string; source: string; local: boolean }> {
  const r = checkRequestSyntax(host, req);
  if (r.local && !(await host.exists(r.source))) throw missingFile(r.source);
  return r;
}

/** Removes the directories in `created` that are still empty, deepest first. */
async function removeCreated(host: Host, created: string[]): Promise<void> {
  for (const d of [...created].reverse()) await host.removeEmptyDir(d);
}

/** Creates `dir` and returns the directories that did not exist before (outermost first). */
async function mkdirTracked(host: Host, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; d !== "/" && !(await host.exists(d)); d = dirname(d)) missing.unshift(d);
  await host.mkdirp(dir, 0o700); // the state directory must stay private (0700): check refuses anything else
  return missing;
}

const fileNameOf = (source: string, local: boolean) => basename(local ? source : new URL(source).pathname);

/**
 * The value pinned in this binary for (version, this machine's architecture), whatever the
 * source is called or where it comes from: a mirror's `bundle.tar.gz` of a pinned version is
 * checked against the pin, never against a SHA256SUMS the same mirror serves.
 */
const pinnedFor = (host: Host, version: string) => PINNED[version]?.[bundleArch(host.arch)];

/** What a request's tarball will be checked against, decided before anything is fetched (the review and the output say it). */
export function trustFor(host: Host, req: BundleRequest, version: string): Trust {
  return req.sha256 ? "--sha256" : pinnedFor(host, version) ? "pinned" : "SHA256SUMS";
}

/** The expected SHA-256 and where it came from: --sha256, the pinned table, or (a version with no pin) the release's SHA256SUMS. */
async function expectedSum(host: Host, req: BundleRequest, version: string, source: string, local: boolean, scratch: string): Promise<{ sha: string; trust: Trust }> {
  if (req.sha256) return { sha: checkHex(req.sha256), trust: "--sha256" };
  const pinned = pinnedFor(host, version);
  if (pinned) return { sha: pinned, trust: "pinned" };
  let sums: string | null;
  if (local) sums = await host.readText(join(dirname(source), "SHA256SUMS"));
  else {
    const file = join(scratch, ".SHA256SUMS.download");
    try {
      await downloadToFile(host, new URL("SHA256SUMS", source).href, file, { insecureHttp: req.insecureHttp, maxBytes: 1 << 20, stallMs: req.stallMs, retries: req.retries, signal: req.signal });
      sums = await host.readText(file);
    } catch {
      sums = null;
    } finally {
      await host.remove(file);
    }
  }
  const name = fileNameOf(source, local);
  const sha = sums ? sumFor(sums, name) : undefined;
  if (!sha) throw new UserError(`no checksum to verify ${name} against: no pinned value for ${version}, no --sha256, and ${sums ? `the release's SHA256SUMS does not list it` : "no SHA256SUMS beside it"}`, "Pass --sha256 HEX (from the release page's SHA256SUMS), or put SHA256SUMS beside the file.");
  return { sha, trust: "SHA256SUMS" };
}

/** Fetches (or reads), verifies and unpacks a bundle into components/<version>/. Does not activate it. */
export async function provision(host: Host, paths: Paths, req: BundleRequest): Promise<Provisioned> {
  const { version, source, local } = resolveRequest(host, req);
  const dir = versionDir(paths, version);
  const existing = await readMeta(host, paths, version);
  if (existing && (!req.sha256 || checkHex(req.sha256) === existing.sha256)) return { ...existing, dir, changed: false, trust: "verified earlier", bytes: 0, ms: 0, fetchMs: 0 };
  if (existing) throw new UserError(`version ${version} is already unpacked, from a tarball with SHA-256 ${existing.sha256}, not ${req.sha256}`, `Remove it first (components remove --version ${version}), or use another version.`);
  if (local && !(await host.exists(source))) throw missingFile(source);
  const root = componentsDir(paths);
  const created = await mkdirTracked(host, root);
  const download = join(root, `.download-${version}-${host.pid}.tar.gz`);
  const tmp = join(root, `.unpack-${version}-${host.pid}`);
  const t0 = host.now();
  try {
    const expected = await expectedSum(host, req, version, source, local, root);
    const got = local ? await host.sha256File(source) : await downloadToFile(host, source, download, { insecureHttp: req.insecureHttp, onProgress: req.onProgress, signal: req.signal, stallMs: req.stallMs, retries: req.retries });
    const fetchMs = host.now() - t0;
    if (got.sha256 !== expected.sha) {
      throw new UserError(`checksum mismatch for ${source}: expected ${expected.sha} (${TRUST_TEXT[expected.trust]}), got ${got.sha256}; nothing was unpacked`, expected.trust === "pinned" ? `This is not nerdctl-full ${version} as released. Download it again; a mirror or a file that is really another build needs its own --sha256 (an explicit override).` : "Download it again; if it still differs, the file is not the release it claims to be.");
    }
    Bun.gc(true); // the transfer's buffers, before the unpacker allocates its own
    await unpackInto(host, local ? source : download, tmp);
    if (!(await host.exists(join(tmp, "bin/containerd")))) throw new UserError(`${source} is not a nerdctl-full bundle (it has no bin/containerd)`, "Use nerdctl-full-<version>-linux-<arch>.tar.gz, not the minimal nerdctl tarball.");
    const meta: BundleMeta = { version, sha256: got.sha256, source, installedAt: new Date().toISOString() };
    await host.writeFileAtomic(metaFile(tmp), JSON.stringify(meta, null, 2) + "\n", 0o644);
    await host.rename(tmp, dir);
    return { ...meta, dir, changed: true, trust: expected.trust, bytes: got.bytes, ms: host.now() - t0, fetchMs };
  } catch (e) {
    await host.remove(tmp, { recursive: true });
    await host.remove(download);
    await removeCreated(host, created);
    throw e;
  } finally {
    await host.remove(download);
  }
}
