// Linger: with it, the user's systemd manager (and containerd.service) starts at boot and
// survives logout. Off is fine for trying things out, so it is a hint, not a warning.
import { shellQuote } from "../os/shell.ts";
import { ok } from "./findings.ts";
import { lingerEnabled, type CheckContext, type ProbeResult } from "./context.ts";

export async function probeLinger(ctx: CheckContext): Promise<ProbeResult> {
  const on = await lingerEnabled(ctx);
  return {
    findings: [
      on
        ? ok("linger", `Linger is enabled for ${ctx.user}: containerd.service can run on system startup`)
        : {
            id: "linger.off",
            level: "info",
            message: `Linger is off for ${ctx.user}: containerd.service stops when you log out and does not start on system startup.`,
            fix: `To run containerd.service on system startup, run: \`sudo loginctl enable-linger ${shellQuote(ctx.user)}\``,
          },
    ],
    facts: { linger: on },
  };
}
