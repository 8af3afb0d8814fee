// Download progress: one line rewritten in place on a terminal; nothing but the final line
// otherwise (the summary is the command's own [INFO] line).
import { expect, test } from "bun:test";
import { makeTestHost } from "../helpers/test-host.ts";
import { progressLine, summaryLine, terminalProgress } from "../../src/core/components/progress.ts";

test("the live line has bytes, total and percentage, rate and ETA", () => {
  expect(progressLine({ bytes: 50e6, total: 200e6, ms: 1000 })).toBe("50.0 MB / 200.0 MB (25%)  50.0 MB/s ETA 3 s");
  expect(progressLine({ bytes: 5e6, total: null, ms: 500 })).toBe("5.0 MB  10.0 MB/s");
  // the first half second's rate is noise (a burst of buffered chunks): no rate, no ETA yet
  expect(progressLine({ bytes: 2e6, total: 200e6, ms: 3 })).toBe("2.0 MB / 200.0 MB (1%)");
  expect(summaryLine(262e6, 2000)).toBe("262.0 MB in 2.0 s (131.0 MB/s)");
});

test("on a terminal the line is rewritten in place (\\r, erase) and cleared at the end; without one nothing is written", async () => {
  const tty = await makeTestHost({ outputIsTTY: true });
  const p = terminalProgress(tty, "Downloading", false);
  p.onProgress!({ bytes: 1e6, total: 2e6, ms: 500 });
  p.onProgress!({ bytes: 1.5e6, total: 2e6, ms: 550 }); // throttled: under 100 ms since the last
  p.onProgress!({ bytes: 2e6, total: 2e6, ms: 620 });
  p.done();
  expect(tty.err.split("\r\x1b[K").filter(Boolean)).toEqual(["Downloading 1.0 MB / 2.0 MB (50%)  2.0 MB/s ETA 1 s", "Downloading 2.0 MB / 2.0 MB (100%)  3.2 MB/s ETA 0 s"]);
  expect(tty.err.endsWith("\r\x1b[K")).toBe(true);
  const pipe = await makeTestHost({ outputIsTTY: false });
  const q = terminalProgress(pipe, "Downloading", false);
  expect(q.onProgress).toBeUndefined();
  q.done();
  expect(pipe.err).toBe("");
  const json = terminalProgress(tty, "Downloading", true);
  expect(json.onProgress).toBeUndefined();
  await tty.cleanup();
  await pipe.cleanup();
});
