// Where a release's files come from: the project's release URL (the latest, or --version V),
// another base URL (--from https://...), or a local directory holding a release (--from DIR,
// or --from DIR/SHA256SUMS). Nothing read here is trusted until SHA256SUMS's signature and
// then each file's checksum have been checked (self-update.ts).
import { dirname, resolve } from "node:path";
import type { Host } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import { releaseBase } from "./build-info.ts";

export interface ReleaseSource {
  /** shown to the user: the URL or directory */
  where: string;
  /** a file of the release, or null when it has none by that name */
  get(name: string): Promise<Uint8Array | null>;
}

export async function openSource(host: Host, from: string | undefined, version: string | undefined): Promise<ReleaseSource> {
  if (from === undefined || /^https?:\/\//.test(from)) {
    const base = (from ?? releaseBase(version)).replace(/\/+$/, "");
    const get = (name: string) =>
      host.fetchBytes(`${base}/${name}`).catch((e) => {
        throw new UserError((e as Error).message, "Check the network connection and the URL (--from, --version). Nothing was changed.");
      });
    return { where: base, get };
  }
  let dir = resolve(host.cwd(), from);
  const st = await host.stat(dir);
  if (st?.isFile) dir = dirname(dir);
  else if (!st?.isDirectory) throw new UserError(`--from ${from}: no such file or directory`, "Give the URL of a release (https://.../download/vX) or a directory with its SHA256SUMS, SHA256SUMS.minisig and the compressed binaries.");
  return { where: dir, get: (name) => host.readBytes(`${dir}/${name}`) };
}

/** SHA256SUMS ("HEX  NAME" lines, as sha256sum writes them) -> name -> hex. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{64}) [ *]([^/\s]+)$/.exec(line.trim()); // a bare file name: nothing outside the release
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}
