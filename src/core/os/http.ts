// The network half of the Host: one HTTP GET whose body goes straight to a file. Redirects
// are not followed here (the caller applies its own policy), and a proxy is used when given.
// The body is piped by the runtime itself (Bun.write of the Response into the file), so no
// chunk becomes a JavaScript buffer: fetch's body read chunk by chunk in JavaScript left
// tens of MB of dead chunks between collections at disk speed (peak RSS 87 MB for a 262 MB
// bundle in the compiled binary); the native pipe holds only the runtime's socket and file
// buffers, and waits for the disk before it reads more.

/** One HTTP response, its body not yet read (redirects are not followed: the caller decides). */
export interface HttpResponse {
  status: number;
  location: string | null;
  contentLength: number | null;
  /**
   * Writes the body into the new file `path` (O_EXCL: never an existing file or a planted
   * symlink, then chmod `mode`), calling `watch` every `everyMs` with the bytes on disk so far.
   * Resolves with the bytes written; rejects when the connection breaks or the request's
   * signal aborts it (which is how a watcher stops it).
   */
  saveTo(path: string, mode: number, watch: (written: number) => void, everyMs: number): Promise<number>;
  /** stop reading and close the connection */
  cancel(): void;
}

/** What httpGet returns: the Host (streams.ts) opens the file and turns pipeTo into saveTo. */
export interface RawHttpResponse extends Omit<HttpResponse, "saveTo"> {
  /** Writes the body into the open file `fd` natively; resolves with the bytes written. */
  pipeTo(fd: number): Promise<number>;
}

export interface HttpGetOptions {
  proxy?: string;
  signal?: AbortSignal;
}

/** GET `url` (through `proxy` when given), without following redirects; aborted by `signal`. */
export async function httpGet(url: string, opts: HttpGetOptions = {}): Promise<RawHttpResponse> {
  const res = await fetch(url, { redirect: "manual", signal: opts.signal, ...(opts.proxy ? { proxy: opts.proxy } : {}), headers: { "user-agent": "containerd-rootless-systemd" } });
  const len = res.headers.get("content-length");
  return {
    status: res.status,
    location: res.headers.get("location"),
    contentLength: len !== null && /^\d+$/.test(len) ? Number(len) : null,
    pipeTo: (fd) => Bun.write(Bun.file(fd), res),
    cancel: () => void res.body?.cancel().catch(() => {}),
  };
}
