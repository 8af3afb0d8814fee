import { test, expect } from "bun:test";
import { consent, runContext } from "../../src/commands/_shared.ts";
import { UsageError } from "../../src/core/os/errors.ts";
import { makeTestHost } from "../helpers/test-host.ts";

test("without a terminal a mutating command needs --yes (exit 2, says how)", async () => {
  const host = await makeTestHost({ stdinIsTTY: false });
  const ctx = runContext({ host }, {});
  let error: unknown;
  try {
    consent(ctx, {});
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).message).toBe("not a terminal; pass --yes");
  expect((error as UsageError).exitCode).toBe(2);
  expect(consent(ctx, { yes: true })).toBeUndefined();
  expect(consent(ctx, { "dry-run": true })).toBeUndefined();
  await host.cleanup();
});

test("on a terminal without --yes the plan is shown and only y/yes goes ahead", async () => {
  const host = await makeTestHost({ stdinIsTTY: true });
  const answers = ["y", "no", "", "YES"];
  const asked: string[] = [];
  host.ask = async (q: string) => {
    asked.push(q);
    return answers.shift()!;
  };
  const confirm = consent(runContext({ host }, {}), {})!;
  expect(await confirm("1. write ~/.config/systemd/user/containerd.service")).toBe(true);
  expect(host.out).toContain("1. write ~/.config/systemd/user/containerd.service");
  expect(await confirm("")).toBe(false);
  expect(await confirm("")).toBe(false);
  expect(await confirm("")).toBe(true);
  expect(asked).toEqual(Array(4).fill("Apply this plan? [y/N] "));
  await host.cleanup();
});
