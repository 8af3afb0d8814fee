// The link step (plan/file-steps.ts): how install enables containerd.service without a systemctl,
// the same link `systemctl --user enable` makes. Made with its directory, undone with it; the same
// link again is unchanged; anything else at its place is refused and left as it was.
import { afterEach, expect, test } from "bun:test";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { previewPlan } from "../../src/core/plan/render.ts";
import type { Step } from "../../src/core/plan/steps.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const UNIT = "/home/alice/.config/systemd/user/containerd.service";
const WANTS = "/home/alice/.config/systemd/user/default.target.wants";
const LINK = `${WANTS}/containerd.service`;
const link: Step = { kind: "link", path: LINK, target: UNIT, enables: "containerd.service" };

test("made with its directory, labelled as enabling the unit; again: unchanged", async () => {
  host = await makeTestHost({ files: { [UNIT]: "[Unit]\n" } });
  expect((await previewPlan(host, [link]))[0]).toMatchObject({ label: "Enable containerd.service", willChange: true });
  const r = await applyPlan(host, [link]);
  expect(r.steps[0]).toMatchObject({ changed: true, result: `Created ${LINK} → ${UNIT}` });
  expect(await host.readlink(LINK)).toBe(UNIT);
  expect((await previewPlan(host, [link]))[0]).toMatchObject({ effect: "unchanged", willChange: false });
  expect((await applyPlan(host, [link])).changed).toBe(false);
});

test("undone with the run when a later step fails: the link and the directory it needed are gone", async () => {
  host = await makeTestHost({ files: { [UNIT]: "[Unit]\n" } });
  const err = (await applyPlan(host, [link, { kind: "run", argv: ["false-program"] }]).catch((e) => e)) as ApplyError;
  expect(err).toBeInstanceOf(ApplyError);
  expect(await host.stat(LINK)).toBeNull();
  expect(await host.exists(WANTS)).toBe(false);
});

test("a file, or a link elsewhere, at its place is refused and kept", async () => {
  host = await makeTestHost({ files: { [UNIT]: "[Unit]\n", [LINK]: "mine" } });
  const err = (await applyPlan(host, [link]).catch((e) => e)) as ApplyError;
  expect(err.failure.reason).toContain(`${LINK} exists and is not the link to ${UNIT}`);
  expect(await host.readText(LINK)).toBe("mine");
  await host.remove(LINK);
  await host.symlink("/elsewhere.service", LINK);
  expect(((await applyPlan(host, [link]).catch((e) => e)) as ApplyError).failure.reason).toContain("is not the link");
  expect(await host.readlink(LINK)).toBe("/elsewhere.service");
});
