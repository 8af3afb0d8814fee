// Every file, directory and link under some directories, with mode, size, the SHA-256 of each
// file's bytes and each link's target: compared before and after a failed command to prove that
// nothing changed. The content hash is the point: a rewrite of the same length (a flipped
// byte, a setting changed from 1400 to 1500) leaves path, type, mode and size as they were.
import { lstatSync, readdirSync, readlinkSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const digest = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);

export function snapshotTree(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const what = st.isFile() ? `${st.size} ${digest(p)}` : st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? "dir" : "other";
      out.push(`${p} ${st.mode.toString(8)} ${what}`);
      if (st.isDirectory()) walk(p);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  else out.push(`${d} absent`);
  return out;
}
