// Runs a command with its output passed through to ours and also kept, for the test scripts
// that read a suite's closing line ("N pass", "N passed, N failed") from what it printed.

/** Spawns argv, streams its stdout and stderr to ours, and returns its exit code and all it printed. */
export async function runTee(argv: string[], env: Record<string, string | undefined> = process.env): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(argv, { stdio: ["inherit", "pipe", "pipe"], env });
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      sink.write(chunk);
    }
  };
  await Promise.all([pump(p.stdout, process.stdout), pump(p.stderr, process.stderr)]);
  return { code: await p.exited, out };
}

/** The last "N passed, N failed" line of a run of scripts/test.ts. */
export function closingLine(out: string): [passed: number, failed: number] | undefined {
  const last = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  return last ? [Number(last[1]), Number(last[2])] : undefined;
}
