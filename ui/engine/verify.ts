// verify's probes for the done screen: the same run as the `verify` command (src/core/verify),
// each probe handed over as a line when it concludes.
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { runVerify } from "../../src/core/verify/run.ts";
import { statusWord, summaryText } from "../../src/core/verify/report.ts";
import type { ProbeOutcome } from "../../src/core/verify/outcome.ts";
import type { VerifyLine, VerifyView } from "./types.ts";

export const verifyLine = (o: ProbeOutcome): VerifyLine => ({ id: o.id, title: o.title, status: statusWord(o) as VerifyLine["status"], message: o.message, ...(o.status === "fail" && o.fix ? { fix: o.fix } : {}) });

export async function verifyWithLines(host: Host, paths: Paths, onLine: (l: VerifyLine) => void, signal: AbortSignal): Promise<VerifyView> {
  try {
    const r = await runVerify(host, paths, { onProbe: (o) => onLine(verifyLine(o)), signal });
    return { ok: r.ok, lines: r.probes.map(verifyLine), summary: summaryText(r) };
  } catch (e) {
    const err = e as { message?: string; fix?: string };
    return { ok: false, lines: [], summary: `verify could not run: ${err.message ?? String(e)}${err.fix ? ` ${err.fix}` : ""}` };
  }
}
