// Time to the first frame of the interactive installer: the compiled binary started with no
// command in a real terminal (tmux, 80x24) as the sandbox user, measured from the moment the
// program is exec'd (a timestamp taken by the shell right before `exec`) to the moment its
// first frame (the title line) is on the screen. Budget: 150 ms.
// `npm run bench` imports bench(); run alone: `bun scripts/bench-ui.ts` (as root).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, type Sandbox } from "./sandbox.ts";
import { Terminal } from "../test/ui/tmux.ts";
import { BINARY_NAME } from "../src/core/os/paths.ts";
import { median, RUNS, type Row } from "./bench.ts";

const TITLE = `${BINARY_NAME} `;

/** One start: ms from exec to the first frame on screen. */
export async function firstFrameMs(sb: Sandbox, bin: string): Promise<number> {
  const stamp = join(sb.runtimeDir, "crsui-bench-start");
  rmSync(stamp, { force: true });
  const env = Object.entries({ ...sb.baseEnv(), TERM: "xterm-256color" }).map(([k, v]) => `${k}=${v}`);
  const t = Terminal.start("crsui-bench", ["runuser", "-u", sb.user, "--", "env", "-i", ...env, "sh", "-c", `cd ~ && date +%s%N > ${stamp} && exec ${bin}`]);
  try {
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      if (t.screen().includes(TITLE)) {
        const seen = Date.now();
        const started = Number(readFileSync(stamp, "utf8").trim()) / 1e6;
        return seen - started;
      }
      await Bun.sleep(1);
    }
    throw new Error(`no first frame within 10 s:\n${t.screen()}`);
  } finally {
    t.keys("q");
    await Bun.sleep(50);
    t.kill();
  }
}

export async function bench(sb: Sandbox, bin: string, runs = RUNS): Promise<Row[]> {
  await firstFrameMs(sb, bin); // warm the page cache
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await firstFrameMs(sb, bin));
  return [{ name: "UI first frame (tmux 80x24)", medianMs: median(xs), peakRssMB: 0, runs, budget: "<= 150 ms", note: `min ${Math.min(...xs).toFixed(0)} / max ${Math.max(...xs).toFixed(0)} ms` }];
}

if (import.meta.main) {
  if (process.getuid!() !== 0) throw new Error("run as root: it starts the binary as a throwaway sandbox user");
  const sb = await createSandbox("crsui-bench");
  try {
    const bin = sb.installBinary(`dist/${BINARY_NAME}`);
    const [row] = await bench(sb, bin);
    console.log(`${row!.name}: median ${row!.medianMs.toFixed(1)} ms over ${row!.runs} runs (${row!.note}); budget ${row!.budget}`);
  } finally {
    await sb.destroy();
  }
}
