// Every file, directory and link under some directories, with size, mode and link target:
// compared before and after a failed command to prove that nothing changed.
import { lstatSync, readdirSync, readlinkSync, existsSync } from "node:fs";
import { join } from "node:path";

export function snapshotTree(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(`${p} ${st.mode.toString(8)} ${st.isFile() ? st.size : ""}${st.isSymbolicLink() ? ` -> ${readlinkSync(p)}` : ""}`);
      if (st.isDirectory()) walk(p);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  else out.push(`${d} absent`);
  return out;
}
