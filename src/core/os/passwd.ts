// Who a uid is, from the files getpwuid(3) reads first: /etc/nsswitch.conf's `passwd:` line
// names the sources in order; when `files` is the first, an /etc/passwd entry is the answer
// glibc gives, so no `getent` process is needed to ask NSS. Pure text functions; host.ts reads.

/** Whether NSS asks /etc/passwd before anything else (`passwd: files ...`); false when unknown. */
export function passwdFilesFirst(nsswitch: string | null): boolean {
  for (const line of (nsswitch ?? "").split("\n")) {
    const m = /^\s*passwd\s*:\s*(\S+)/.exec(line.replace(/#.*/, ""));
    if (m) return m[1] === "files";
  }
  return false;
}

/** The login name of `uid` in passwd(5) text, or undefined. */
export function passwdName(passwd: string | null, uid: number): string | undefined {
  for (const line of (passwd ?? "").split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[0] && Number(f[2]) === uid && /^\d+$/.test(f[2]!)) return f[0];
  }
  return undefined;
}
