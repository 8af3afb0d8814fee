// The network half of the Host: one HTTP GET whose body is read chunk by chunk. Redirects
// are not followed here (the caller applies its own policy), and a proxy is used when given.

/** One HTTP response, its body not yet read (redirects are not followed: the caller decides). */
export interface HttpResponse {
  status: number;
  location: string | null;
  contentLength: number | null;
  body: AsyncIterable<Uint8Array>;
  /** stop reading and close the connection */
  cancel(): void;
}

export interface HttpGetOptions {
  proxy?: string;
  signal?: AbortSignal;
}

/** GET `url` (through `proxy` when given), without following redirects; aborted by `signal`. */
export async function httpGet(url: string, opts: HttpGetOptions = {}): Promise<HttpResponse> {
  const res = await fetch(url, { redirect: "manual", signal: opts.signal, ...(opts.proxy ? { proxy: opts.proxy } : {}), headers: { "user-agent": "containerd-rootless-systemd" } });
  const len = res.headers.get("content-length");
  const reader = res.body?.getReader();
  return {
    status: res.status,
    location: res.headers.get("location"),
    contentLength: len !== null && /^\d+$/.test(len) ? Number(len) : null,
    body: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const r = await reader?.read();
          if (!r || r.done) return;
          yield r.value;
        }
      },
    },
    cancel: () => void reader?.cancel().catch(() => {}),
  };
}
