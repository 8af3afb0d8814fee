// What one probe concludes. `expected` says whether this machine's settings say the thing
// should work (a sysctl at its default, cgroup v1, a port driver turned off make it false): a
// probe that fails when it was expected to pass makes verify exit 1; one that fails as the
// settings predict says so, with the setting that changes it.

export type ProbeStatus = "pass" | "fail" | "n/a";

export interface ProbeOutcome {
  /** stable: container, network, dns, ports, limits, registry, ping, low-ports, addon:ID */
  id: string;
  title: string;
  status: ProbeStatus;
  expected: boolean;
  /** one line: what was seen (pass) or what is wrong and why (fail) */
  message: string;
  /** the facts behind it: answers, addresses, timings, a program's own error */
  evidence: string[];
  /** what to type (without root) */
  fix?: string;
  /** lines that need root (gathered into one sudo block) */
  sudoFix?: string[];
  ms: number;
}

export type Verdict = Omit<ProbeOutcome, "id" | "title" | "ms">;

export const pass = (message: string, evidence: string[] = []): Verdict => ({ status: "pass", expected: true, message, evidence });
export const fail = (message: string, evidence: string[] = [], fix?: string, sudoFix?: string[]): Verdict => ({ status: "fail", expected: true, message, evidence, ...(fix ? { fix } : {}), ...(sudoFix?.length ? { sudoFix } : {}) });
/** A failure this machine's settings predict (not a reason to exit 1), with the setting that changes it. */
export const offBySetting = (message: string, evidence: string[] = [], fix?: string, sudoFix?: string[]): Verdict => ({ ...fail(message, evidence, fix, sudoFix), expected: false });
export const notApplicable = (message: string, evidence: string[] = []): Verdict => ({ status: "n/a", expected: false, message, evidence });

/** A probe that should have passed and did not. */
export const isProblem = (o: ProbeOutcome): boolean => o.status === "fail" && o.expected;

export interface VerifyReport {
  command: "verify";
  ok: boolean;
  probes: ProbeOutcome[];
  /** when each phase ended, in ms from the start: the stack read, the image imported, the main container's agent answering, every probe concluded, all removed */
  phases: { facts: number; image: number | null; container: number | null; probes: number; cleanup: number };
  /** what was created and removed again (or kept, with --keep) */
  cleanup: { removed: string[]; kept: string[]; problems: string[] };
  ms: number;
}
