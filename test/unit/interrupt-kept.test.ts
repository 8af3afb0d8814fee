// What an interrupted run says it kept: apply -f's phase A (install) is finished and
// consistent when phase B is interrupted; the message names it instead of "nothing changed".
import { expect, test } from "bun:test";
import { InterruptedError, interruptedOr } from "../../src/core/plan/interrupt.ts";
import { ApplyError } from "../../src/core/plan/execute.ts";

const cancelled = (rolledBack: string[]) => new ApplyError({ step: { kind: "mkdir", path: "/x" }, index: 0, description: "Create /x", reason: "cancelled", cancelled: true }, [], rolledBack, undefined);

test("phase B cancelled before it changed anything: the message names what phase A kept", () => {
  const e = interruptedOr(cancelled([]), ["containerd.service installed and running"]) as InterruptedError;
  expect(e).toBeInstanceOf(InterruptedError);
  expect(e.exitCode).toBe(130);
  expect(e.message).toBe("interrupted; nothing of the interrupted part had been changed; kept (finished before the interrupt): containerd.service installed and running.");
});

test("phase B partly undone, and without anything kept the message is as before", () => {
  expect((interruptedOr(cancelled(["remove /a"]), ["containerd.service installed and running"]) as Error).message).toBe("interrupted; undone: remove /a; kept (finished before the interrupt): containerd.service installed and running.");
  expect((interruptedOr(cancelled([])) as Error).message).toBe("interrupted; nothing had been changed.");
});
