// systemd refused to start a unit because of its start limit (StartLimitBurst starts within
// StartLimitInterval; 3 in 60 s for containerd), and why, as systemd recorded it: the unit
// kept exiting and systemd restarted it itself until the limit (NRestarts > 0: a crash loop),
// or it was started and restarted that often on request (`systemctl --user start|restart`, by
// hand or by a tool; NRestarts = 0: nothing crashed). Either way it stays "failed" until the
// limit is cleared (`reset-failed`) or the interval has passed.
import type { UnitState } from "./units.ts";

export interface StartLimitFailure {
  reason: string;
  fix: string;
}

/**
 * The explanation and the fix, or undefined when the unit is not held by its start limit.
 * systemd 252 keeps the first failure's Result (exit-code) when the limit refuses an automatic
 * restart (service_enter_dead sets Result only while it is "success"), and a manual start it
 * refuses then leaves it so too (seen in test/e2e/faults.test.ts); so a restarting unit that
 * ended "failed" with StartLimitBurst-1 restarts behind it counts as well as start-limit-hit.
 */
export function startLimitHit(s: UnitState): StartLimitFailure | undefined {
  if (s.activeState !== "failed") return undefined;
  const burst = s.startLimitBurst ?? 0;
  const gaveUp = Boolean(s.restart) && s.restart !== "no" && burst > 0 && s.nRestarts >= burst - 1;
  if (s.result !== "start-limit-hit" && !gaveUp) return undefined;
  const limit = `its start limit (${burst > 0 ? `StartLimitBurst=${burst}` : "StartLimitBurst"} within StartLimitInterval) was hit (Result=${s.result || "?"}, NRestarts=${s.nRestarts})`;
  const clear = `\`systemctl --user reset-failed ${s.name} && systemctl --user start ${s.name}\``;
  if (s.nRestarts > 0) {
    return {
      reason: `${s.name} kept exiting right after it started, so systemd stopped restarting it after ${s.nRestarts} restart${s.nRestarts === 1 ? "" : "s"}: ${limit}`,
      fix: `find the cause with \`journalctl --user -u ${s.name}\` or \`containerd-rootless-systemd check\`, then clear the limit and start it: ${clear} (or re-run \`containerd-rootless-systemd install\`)`,
    };
  }
  return {
    reason: `${s.name} was started or restarted on request (\`systemctl --user start|restart\`, by hand or by a tool) more often than its start limit allows, so systemd refused the last start; it did not crash (systemd restarted it 0 times): ${limit}`,
    fix: `start it again once StartLimitInterval has passed, or clear the limit and start it now: ${clear} (or re-run \`containerd-rootless-systemd install\`)`,
  };
}
