// The house rules that keep the engine testable and headless commands light, checked on the
// source: only the Host touches the OS, and nothing outside ui/ (and cli.ts's lazy import)
// loads React or Ink.
import { test, expect } from "bun:test";
import { Glob } from "bun";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

async function sources(pattern: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const file of new Glob(pattern).scan(ROOT)) out.push([file, await Bun.file(join(ROOT, file)).text()]);
  expect(out.length).toBeGreaterThan(20); // the glob found the tree
  return out;
}

const imports = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);

test("only src/core/host*.ts touches fs, processes and the environment", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("{src,ui}/**/*.{ts,tsx}")) {
    if (/^src\/core\/host(-files)?\.ts$/.test(file)) continue;
    if (/\bprocess\.env\b|\bBun\.spawn/.test(text)) offenders.push(`${file}: process.env or Bun.spawn`);
    if (imports(text).some((m) => /^(node:)?(fs|fs\/promises|child_process)$/.test(m))) offenders.push(`${file}: imports fs or child_process`);
  }
  expect(offenders).toEqual([]);
});

test("the engine and the commands never load React or Ink (headless stays light)", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("src/**/*.ts")) {
    for (const m of imports(text)) {
      const ui = /^(react|ink|@inkjs\/|ink-)/.test(m) || /(^|\/)ui\//.test(m);
      // cli.ts opens the installer with a dynamic import, only when no command is given on a terminal
      if (ui && !(file === "src/cli.ts" && text.includes(`await import("${m}")`))) offenders.push(`${file}: ${m}`);
    }
  }
  expect(offenders).toEqual([]);
});
