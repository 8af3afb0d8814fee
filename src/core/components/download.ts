// Downloads a URL to a file and hashes it: the runtime pipes the body from the socket to the
// disk (http.ts: no chunk passes through JavaScript, so memory stays flat whatever the speed),
// a watcher reports progress and notices stalls and the size cap, then the file is hashed
// from the page cache through one buffer. A 250 MB bundle never sits in memory. The policy
// lives here (HTTPS only unless the user says otherwise, a bounded number of redirects, a
// size cap, a stall timeout, retries with backoff on network errors only, HTTPS_PROXY and
// NO_PROXY); the Host does the I/O (httpGet and its saveTo, sha256File).
import type { Host } from "../os/host.ts";
import type { HttpResponse } from "../os/streams.ts";
import { HostError } from "../os/files.ts";
import { UserError } from "../os/errors.ts";
import { proxyFor } from "./proxy.ts";

export interface Progress {
  bytes: number;
  /** from Content-Length, when the server sent it */
  total: number | null;
  /** milliseconds since the transfer began */
  ms: number;
}

export interface DownloadOptions {
  /** allow plain http:// (a local mirror); https:// is required otherwise */
  insecureHttp?: boolean;
  /** refuse bodies larger than this (default 1 GiB) */
  maxBytes?: number;
  maxRedirects?: number;
  /** give up when no byte arrives for this long (default 30 s) */
  stallMs?: number;
  /** attempts after the first on a network error or a 5xx (default 3) */
  retries?: number;
  /** first backoff; doubles each retry (default 500 ms) */
  backoffMs?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface Downloaded {
  sha256: string;
  bytes: number;
  ms: number;
  /** the URL the bytes finally came from (after redirects) */
  url: string;
}

/** A failure worth another attempt (connection refused or reset, a 5xx, a stall). */
class Transient extends Error {}

/** The URL, when its scheme may be fetched: https, or http with `insecureHttp`. */
export function checkScheme(url: string, insecureHttp: boolean | undefined): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${url} is not a URL`, "Give an https:// URL or a local file path to --from.");
  }
  if (u.protocol === "https:") return u;
  if (u.protocol === "http:" && insecureHttp) return u;
  if (u.protocol === "http:") throw new UserError(`refusing plain HTTP for ${url}: the bytes could be changed on the way`, "Use an https:// URL, or pass --insecure-http for a mirror on your own network (the SHA-256 is still checked).");
  throw new UserError(`unsupported URL scheme ${u.protocol} in ${url}`, "Give an https:// URL or a local file path to --from.");
}

/** Downloads `url` into the new file `dest` (created exclusively), returning its SHA-256. The caller removes `dest` on failure. */
export async function downloadToFile(host: Host, url: string, dest: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const retries = opts.retries ?? 3;
  let wait = opts.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      await host.remove(dest);
      return await attemptDownload(host, url, dest, opts);
    } catch (e) {
      if (!(e instanceof Transient) || attempt >= retries || opts.signal?.aborted) {
        throw e instanceof Transient ? new UserError(`download of ${url} failed after ${attempt + 1} attempts: ${e.message}`, "Check the network (and HTTPS_PROXY/NO_PROXY), or download the file yourself and pass it to --from.") : e;
      }
      await host.sleep(wait);
      wait *= 2;
    }
  }
}

async function attemptDownload(host: Host, start: string, dest: string, opts: DownloadOptions): Promise<Downloaded> {
  const maxBytes = opts.maxBytes ?? 1 << 30;
  const stallMs = opts.stallMs ?? 30_000;
  let url = checkScheme(start, opts.insecureHttp);
  const seen = new Set<string>();
  for (let hop = 0; ; hop++) {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    opts.signal?.addEventListener("abort", onAbort);
    let stalled = false;
    let timer = setTimeout(() => ((stalled = true), ctl.abort()), stallMs);
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ((stalled = true), ctl.abort()), stallMs);
    };
    try {
      const res = await host.httpGet(url.href, { proxy: proxyFor(url, host.env), signal: ctl.signal }).catch((e) => {
        throw stalled ? new Transient(`no answer from ${url.host} within ${stallMs / 1000} s`) : new Transient((e as Error).message);
      });
      if (res.status >= 300 && res.status < 400 && res.location) {
        res.cancel();
        seen.add(url.href);
        const next = new URL(res.location, url);
        if (hop + 1 > (opts.maxRedirects ?? 5) || seen.has(next.href)) throw new UserError(`too many redirects from ${start} (last: ${next.href})`, "Give the final URL to --from, or fix the mirror's redirects.");
        url = checkScheme(next.href, opts.insecureHttp);
        continue;
      }
      if (res.status >= 500) throw (res.cancel(), new Transient(`${url.href} answered HTTP ${res.status}`));
      if (res.status !== 200) throw (res.cancel(), new UserError(`${url.href} answered HTTP ${res.status}`, res.status === 404 ? "Check the version and architecture (see `components install --help`), or the mirror's URL." : "Check the URL and your access to it."));
      if (res.contentLength !== null && res.contentLength > maxBytes) throw (res.cancel(), new UserError(`${url.href} is ${res.contentLength} bytes, more than the ${maxBytes}-byte limit`, "Check that the URL points at a nerdctl-full tarball."));
      return await saveBody(host, res, dest, url.href, maxBytes, () => ctl.abort(), bump, () => stalled, stallMs, opts.onProgress);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
}

/** Progress and stall checks while the body streams to disk: this often (at most), in ms. */
const TICK_MS = 100;

async function saveBody(host: Host, res: HttpResponse, dest: string, url: string, maxBytes: number, abort: () => void, bump: () => void, stalled: () => boolean, stallMs: number, onProgress?: (p: Progress) => void): Promise<Downloaded> {
  const t0 = host.now();
  const progress = (bytes: number) => onProgress?.({ bytes, total: res.contentLength, ms: host.now() - t0 });
  let seen = 0;
  let over = false;
  const tooBig = () => new UserError(`${url} sent more than the ${maxBytes}-byte limit`, "Check that the URL points at a nerdctl-full tarball.");
  let bytes: number;
  try {
    bytes = await res.saveTo(dest, 0o600, (written) => {
      if (written === seen) return;
      seen = written;
      bump();
      if (written > maxBytes) return ((over = true), abort());
      progress(written);
    }, Math.min(TICK_MS, stallMs / 4));
  } catch (e) {
    if (over) throw tooBig();
    if (e instanceof HostError) throw e;
    throw new Transient(stalled() ? `the transfer from ${url} stalled (no data for ${stallMs / 1000} s)` : `the transfer from ${url} broke off after ${seen} bytes: ${(e as Error).message}`);
  }
  if (bytes > maxBytes) throw tooBig();
  if (res.contentLength !== null && bytes !== res.contentLength) throw new Transient(`the transfer from ${url} was truncated: ${bytes} of ${res.contentLength} bytes`);
  progress(bytes);
  // hashed from the disk (the page cache), through one buffer: what is verified is what gets unpacked
  const { sha256 } = await host.sha256File(dest);
  return { sha256, bytes, ms: host.now() - t0, url };
}
