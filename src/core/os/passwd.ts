// Who a uid is, from the files getpwuid(3) reads first: /etc/nsswitch.conf's `passwd:` line
// names the sources in order; when `files` is the first, an /etc/passwd entry is the answer
// glibc gives, so no `getent` process is needed to ask NSS; the same for sub-ids and getsubids.
// Pure text functions; the Host and the checks read the files.

/** Whether NSS asks /etc/passwd before anything else (`passwd: files ...`); false when unknown. */
export function passwdFilesFirst(nsswitch: string | null): boolean {
  for (const line of (nsswitch ?? "").split("\n")) {
    const m = /^\s*passwd\s*:\s*(\S+)/.exec(line.replace(/#.*/, ""));
    if (m) return m[1] === "files";
  }
  return false;
}

/**
 * Whether getsubids(1) reads only /etc/subuid and /etc/subgid: nsswitch.conf has no `subid:`
 * line (shadow's libsubid then uses the files) or names `files`. RootlessKit's `auto` sub-id
 * source (getsubids, falling back to the files) then finds exactly what `static` reads.
 */
export function subidFromFilesOnly(nsswitch: string | null): boolean {
  for (const line of (nsswitch ?? "").split("\n")) {
    const m = /^\s*subid\s*:\s*(.*)$/.exec(line.replace(/#.*/, ""));
    if (m) return m[1]!.trim() === "files" || m[1]!.trim() === "";
  }
  return true;
}

/** The login name of `uid` in passwd(5) text, or undefined. */
export function passwdName(passwd: string | null, uid: number): string | undefined {
  for (const line of (passwd ?? "").split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[0] && Number(f[2]) === uid && /^\d+$/.test(f[2]!)) return f[0];
  }
  return undefined;
}
