// The house rules, checked on the source (every file's import statements): only the Host
// touches the OS, headless code never loads React or Ink, and imports run one way —
// commands/UI -> plugins -> engine wings -> os. The engine (src/core) never imports a command,
// a screen or the launcher; of the plugins it sees only the registry (the contract both sides
// meet at), and loading every plugin (src/plugins/index.ts) happens at the edge.
import { test, expect } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";
import { readdirSync, statSync } from "node:fs";

const ROOT = join(import.meta.dir, "../..");

async function sources(pattern: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const file of new Glob(pattern).scan(ROOT)) out.push([file, await Bun.file(join(ROOT, file)).text()]);
  expect(out.length).toBeGreaterThan(0); // the glob found the tree
  return out;
}

const specifiers = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);

/** The repository-relative files a source imports (relative specifiers only). */
const localImports = (file: string, text: string) =>
  specifiers(text)
    .filter((s) => s.startsWith("."))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));

test("only the Host's own files (src/core/os/host.ts, files.ts, streams.ts, processes.ts) touch fs, processes and the environment", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("{src,ui}/**/*.{ts,tsx}")) {
    // bun:ffi is OS access too: flock.ts (the kernel lock, called only by files.ts), icmp.ts
    // (an echo request: Bun has no ICMP socket; called only by net.ts) and the launcher's
    // exec.ts (execve: what the unit runs replaces itself) are its only doors
    const ffi = specifiers(text).includes("bun:ffi");
    if (ffi && !/^src\/(core\/os\/(flock|icmp)|launcher\/exec)\.ts$/.test(file)) offenders.push(`${file}: imports bun:ffi`);
    if (/^src\/core\/os\/(host|files|streams|flock|processes)\.ts$/.test(file)) continue;
    if (/\bprocess\.env\b|\bBun\.spawn/.test(text)) offenders.push(`${file}: process.env or Bun.spawn`);
    if (specifiers(text).some((m) => /^(node:)?(fs|fs\/promises|child_process)$/.test(m))) offenders.push(`${file}: imports fs or child_process`);
  }
  expect(offenders).toEqual([]);
});

test("the engine and the commands never load React or Ink (headless stays light)", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("src/**/*.ts")) {
    for (const m of specifiers(text)) {
      const ui = /^(react|ink|@inkjs\/|ink-)/.test(m) || /(^|\/)ui\//.test(m);
      // cli.ts opens the installer with a dynamic import, only when no command is given on a terminal
      if (ui && !(file === "src/cli.ts" && text.includes(`await import("${m}")`))) offenders.push(`${file}: ${m}`);
    }
  }
  expect(offenders).toEqual([]);
});

test("the engine imports no command, screen or launcher, and of the plugins only the registry", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("src/core/**/*.ts")) {
    for (const target of localImports(file, text)) {
      if (/^(src\/commands|ui|src\/launcher)\//.test(target)) offenders.push(`${file} -> ${target}`);
      if (target.startsWith("src/plugins/") && target !== "src/plugins/registry.ts") offenders.push(`${file} -> ${target}`);
    }
  }
  expect(offenders).toEqual([]);
});

test("the OS door (src/core/os) imports nothing from the other wings", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("src/core/os/*.ts")) {
    for (const target of localImports(file, text)) if (!target.startsWith("src/core/os/")) offenders.push(`${file} -> ${target}`);
  }
  expect(offenders).toEqual([]);
});

test("every plugin is loaded at the edge only: commands and the UI import src/plugins/index.ts, nothing else does", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("{src,ui}/**/*.{ts,tsx}")) {
    if (!localImports(file, text).includes("src/plugins/index.ts")) continue;
    if (!/^(src\/commands\/|ui\/)/.test(file)) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});

test("the launcher (what the unit runs) imports no UI, no command and no plugin code", async () => {
  const offenders: string[] = [];
  for (const [file, text] of await sources("src/launcher/*.ts")) {
    for (const target of localImports(file, text)) if (/^(ui|src\/plugins|src\/commands)\//.test(target)) offenders.push(`${file} -> ${target}`);
    for (const m of specifiers(text)) if (/^(react|ink|@inkjs\/)/.test(m)) offenders.push(`${file} -> ${m}`);
  }
  expect(offenders).toEqual([]);
});

test("the engine lives in wings: no loose file in src/core, and each wing says what it owns", () => {
  const entries = readdirSync(join(ROOT, "src/core"));
  const loose = entries.filter((e) => statSync(join(ROOT, "src/core", e)).isFile());
  expect(loose).toEqual([]);
  const silent = entries.filter((wing) => {
    const readme = join(ROOT, "src/core", wing, "README.md");
    return !statSync(readme, { throwIfNoEntry: false })?.isFile();
  });
  expect(silent).toEqual([]);
});

test("no source file is over 300 lines", async () => {
  const long: string[] = [];
  for (const [file, text] of await sources("{src,ui,scripts}/**/*.{ts,tsx}")) {
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines > 300) long.push(`${file} (${lines})`);
  }
  expect(long).toEqual([]);
});
