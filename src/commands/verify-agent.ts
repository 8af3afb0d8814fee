// Hidden: what `verify` runs inside its throwaway container (core/verify/agent.ts). SPEC is
// the JSON of an AgentSpec; each finding is printed as one JSON line. SIGTERM (forwarded by
// `ctr run` from verify) ends its listening; it also ends by itself at the spec's deadline.
import { defineCommand } from "citty";
import { runContext } from "./_shared.ts";
import { UsageError } from "../core/os/errors.ts";
import { runAgent } from "../core/verify/agent.ts";
import type { AgentSpec } from "../core/verify/agent-spec.ts";

export const usage = "SPEC";

export default defineCommand({
  meta: { name: "verify-agent", description: "Look at a container from the inside for verify (runs in verify's throwaway container)" },
  args: { spec: { type: "positional", required: true, description: "what to check, as JSON" } },
  async run({ args, data }) {
    const { host } = runContext(data, {});
    let spec: AgentSpec;
    try {
      spec = JSON.parse(String(args.spec)) as AgentSpec;
    } catch (e) {
      throw new UsageError(`the spec is not JSON: ${(e as Error).message}`);
    }
    let stopped: () => void = () => {};
    const stop = new Promise<void>((resolve) => (stopped = resolve));
    const unsubscribe = host.onStopSignal(() => stopped());
    try {
      await runAgent(host, spec, (e) => host.writeOut(`${JSON.stringify(e)}\n`), stop);
    } finally {
      unsubscribe();
    }
    return 0;
  },
});
