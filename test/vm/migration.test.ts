// Moving from nerdctl's rootless installer to this tool: uninstall, then nerdctl's own
// containerd-rootless-setuptool.sh install (v2.3.5, from CRS_REFERENCE_DIR or the VM cache; never
// committed), then `install` over its containerd.service. Without nerdctl's scripts on this
// machine, its unit is written from test/fixtures/nerdctl/containerd.service (the text its
// installer writes, cited there) and cannot run: the takeover of an installed, failing unit.
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alice, crs, HAVE_NERDCTL_SCRIPTS, must, PAYLOAD, scenario, shellQuote, WAIT_FACTOR, waitUntil } from "../helpers/vm.ts";

const UNIT = "~/.config/systemd/user/containerd.service";
const NERDCTL_BIN = `${PAYLOAD}/nerdctl`;
const answers = () => alice("ctr --address $XDG_RUNTIME_DIR/containerd/containerd.sock version").code === 0;
let nerdctlUnit = "";

scenario("uninstall (run from the download): the unit, the add-ons and the binary copy go; containerd stops", () => {
  must(alice(`CRS_WAIT_FACTOR=${WAIT_FACTOR} ${PAYLOAD}/containerd-rootless-systemd uninstall --yes`), "uninstall");
  expect(alice(`test -e ${UNIT}`).code).not.toBe(0);
  expect(alice("test -e ~/.local/bin/containerd-rootless-systemd").code).not.toBe(0);
  expect(must(alice("systemctl --user is-active containerd.service bypass4netnsd.service || true"), "is-active").trim().split("\n")).toEqual(["inactive", "inactive"]);
});

scenario(`nerdctl's own rootless containerd: ${HAVE_NERDCTL_SCRIPTS ? "its installer, run" : "the unit its installer writes (its scripts are not on this machine)"}`, () => {
  if (HAVE_NERDCTL_SCRIPTS) {
    must(alice(`PATH=${NERDCTL_BIN}:$PATH containerd-rootless-setuptool.sh install`), "nerdctl's installer");
    waitUntil("nerdctl's containerd to answer", answers);
  } else {
    const text = readFileSync(join(import.meta.dir, "../fixtures/nerdctl/containerd.service"), "utf8").split("# ---\n")[1]!;
    const unit = text.replaceAll("@BIN@", NERDCTL_BIN).replaceAll("@PATH@", "/usr/local/bin:/usr/bin:/bin");
    must(alice(`mkdir -p ~/.config/systemd/user && printf %s ${shellQuote(unit)} > ${UNIT} && systemctl --user daemon-reload && systemctl --user enable containerd.service`), "nerdctl's unit");
  }
  nerdctlUnit = must(alice(`cat ${UNIT}`), "the unit");
  expect(nerdctlUnit).toContain(`ExecStart=${NERDCTL_BIN}/containerd-rootless.sh`);
});

scenario("check says install takes that unit over (no 'stop it first'); install replaces it, keeps it in the backups, and runs containerd under its own", () => {
  const doc = JSON.parse(must(crs("check --json"), "check"));
  const foreign = doc.findings.find((f: { id: string }) => f.id === "conflicts.rootless.foreign");
  if (HAVE_NERDCTL_SCRIPTS) {
    expect(foreign).toMatchObject({ level: "info" });
    expect(foreign.message).toContain("`install` replaces that unit (the old one is kept in its backups");
  }
  expect(JSON.stringify(doc)).not.toMatch(/stop it before installing/i);
  const out = crs("install --yes");
  expect(out.code).toBe(0);
  const kept = /was not created by this tool; it is replaced \(the diff shows how\) and kept as (\S+)/.exec(out.stdout + out.stderr)?.[1];
  expect(kept).toBeDefined();
  expect(must(alice(`cat ${kept}`), "the backup")).toBe(nerdctlUnit);
  expect(must(alice(`cat ${UNIT}`), "the unit")).toContain("containerd-rootless-systemd launch");
  const pid = must(alice("systemctl --user show -P MainPID containerd.service"), "MainPID").trim();
  expect(must(alice(`tr '\\0' ' ' < /proc/${pid}/cmdline`), "its command line")).toContain("containerd-rootless-systemd launch");
  expect(must(alice("pgrep -u alice -c -x rootlesskit"), "RootlessKits").trim()).toBe("1");
  expect(answers()).toBe(true);
});
