// Networking on the Debian 13 host: containers on a CNI bridge the way nerdctl sets one up, with
// detach-netns on (RootlessKit 2's default) and off; pasta with the port drivers RootlessKit 2.0.2
// takes, confined by Debian's AppArmor profile (refused with the fix, then working once root
// applied it); and the real bypass4netnsd from Debian's bypass4netns package.
import { expect } from "bun:test";
import { alice, asRoot, CRS, crs, ctr, must, mustCrs, OCI_IMAGE_REF, root, scenario, WAIT_FACTOR, waitUntil } from "../helpers/vm.ts";

/**
 * A container on a CNI bridge as nerdctl makes one (bridge, host-local, portmap, firewall, tuning;
 * Debian's plugins in /usr/lib/cni), set up in the namespace containers use (the detached one with
 * detach-netns), with `ctr run --cni`, which reads /etc/cni/net.d and /opt/cni/bin: both made
 * inside containerd's mount namespace only (a tmpfs on /opt there; the host's are untouched).
 * Returns what the containers printed, and what host-local still had reserved once they were gone.
 */
function cniBridge(): { first: string; fetched: string; reservedAfter: string } {
  const netns = `$( [ -e "$XDG_RUNTIME_DIR/containerd-rootless/netns" ] && echo nsenter --net=$XDG_RUNTIME_DIR/containerd-rootless/netns )`;
  must(crs(`nsenter -- sh -c '
    mountpoint -q /opt || mount -t tmpfs tmpfs /opt
    mkdir -p /opt/cni && ln -sfn /usr/lib/cni /opt/cni/bin
    [ -L /etc/cni ] && rm /etc/cni; mkdir -p /etc/cni/net.d
    echo "{\\"cniVersion\\":\\"1.0.0\\",\\"name\\":\\"crs\\",\\"plugins\\":[{\\"type\\":\\"bridge\\",\\"bridge\\":\\"crs0\\",\\"isGateway\\":true,\\"ipMasq\\":true,\\"ipam\\":{\\"type\\":\\"host-local\\",\\"ranges\\":[[{\\"subnet\\":\\"10.4.0.0/24\\",\\"gateway\\":\\"10.4.0.1\\"}]],\\"routes\\":[{\\"dst\\":\\"0.0.0.0/0\\"}]}},{\\"type\\":\\"portmap\\",\\"capabilities\\":{\\"portMappings\\":true}},{\\"type\\":\\"firewall\\"},{\\"type\\":\\"tuning\\"}]}" > /etc/cni/net.d/10-crs.conflist'`), "the CNI configuration");
  const ctrRunCni = (id: string, args: string) => `nsenter -- env PATH=$PATH:/usr/sbin:/sbin ${netns} ctr run --cni --runc-systemd-cgroup --cgroup user.slice:crs:${id} ${args}`;
  const run = (id: string, args: string) => crs(ctrRunCni(id, args));
  const tasks = () => ctr("task ls").stdout;
  const exited = (pid: string) => alice(`kill -0 ${pid}`).code !== 0;
  let server = "";
  let printed: { first: string; fetched: string };
  try {
    const first = must(run("cni1", `--rm ${OCI_IMAGE_REF} cni1 sh -c 'busybox ip -4 -o addr show eth0; busybox ping -c1 -W5 10.4.0.1 >/dev/null && echo gateway-ok'`), "a container on the bridge");
    // The server's ctr stays in the background instead of `-d`: a detached ctr returns after the
    // CNI ADD and nothing ever runs the DEL (containerd v1.7.24 cmd/ctr/commands/run/run.go calls
    // network.Remove only when ctr waits for its task), so host-local's reservation of cni2's
    // address stays in /var/lib/cni (the user's ~/.local/share/cni, kept across containerd's
    // restarts) and the next scenario's cni2 is refused "duplicate allocation". Waiting, ctr runs
    // the DEL itself once the task is killed, then removes the container (--rm).
    server = must(alice(`CRS_WAIT_FACTOR=${WAIT_FACTOR} setsid ${CRS} ${ctrRunCni("cni2", `--rm ${OCI_IMAGE_REF} cni2 sh -c 'busybox mkdir -p /w && echo hello-cni > /w/index.html && exec busybox httpd -f -p 80 -h /w'`)} </dev/null >$XDG_RUNTIME_DIR/cni2.log 2>&1 & echo $!`), "httpd on the bridge").trim();
    const serving = () => /^cni2\s+\d+\s+RUNNING/m.test(tasks());
    waitUntil("httpd's task to run or its ctr to exit", () => serving() || exited(server), 300_000);
    if (!serving()) throw new Error(`httpd on the bridge did not start:\n${alice("cat $XDG_RUNTIME_DIR/cni2.log").stdout}`);
    // the server's address is one of the first few of the range (host-local hands them out in order); a name would need DNS.
    // No `wget -T`: Debian's busybox-static is built without FEATURE_WGET_TIMEOUT, and busybox's wget
    // still declares "T:+" but hands getopt32 a NULL int pointer for it (networking/wget.c, 1.35.0 to
    // master), so any -T writes through NULL: "Segmentation fault" before a socket is opened. busybox's
    // own `timeout` applet bounds each attempt instead.
    const fetched = must(run("cni3", `--rm ${OCI_IMAGE_REF} cni3 sh -c 'for i in 2 3 4 5 6 7 8; do busybox timeout 10 busybox wget -q -O- http://10.4.0.$i/ && exit 0; done; exit 1'`), "a fetch from a second container");
    printed = { first, fetched: fetched.trim() };
  } finally {
    // whatever happened, no container of this scenario stays and no address stays reserved (the next one reuses the names)
    for (const id of ["cni1", "cni2", "cni3"]) ctr(`task kill -s KILL ${id}`);
    waitUntil("the scenario's tasks to stop", () => !/^cni\d\s+\d+\s+RUNNING/m.test(tasks()), 60_000);
    if (server) waitUntil("the server's ctr to release its address and remove cni2", () => exited(server), 120_000);
    for (const id of ["cni1", "cni2", "cni3"]) ctr(`task rm -f ${id}`), ctr(`container rm ${id}`), ctr(`snapshot rm ${id}`);
  }
  return { ...printed, reservedAfter: must(crs("nsenter -- sh -c 'ls /var/lib/cni/networks/crs'"), "host-local's reservations") };
}

scenario("CNI bridge with detach-netns on: a container gets 10.4.0.x, reaches the gateway, and a second one fetches from its httpd", () => {
  expect(must(alice("ls $XDG_RUNTIME_DIR/containerd-rootless/"), "state dir")).toContain("netns");
  const r = cniBridge();
  expect(r.first).toMatch(/inet 10\.4\.0\.\d+\/24/);
  expect(r.first).toContain("gateway-ok");
  expect(r.fetched).toBe("hello-cni");
  // every address went back: the scenario after this one runs containers of the same names on the same range
  expect(r.reservedAfter).not.toMatch(/^10\.4\.0\./m);
});

scenario("CNI bridge with detach-netns off (configure --detach-netns false): the same, in RootlessKit's child namespace", () => {
  mustCrs("configure --detach-netns false --yes");
  try {
    expect(must(alice("ls $XDG_RUNTIME_DIR/containerd-rootless/"), "state dir")).not.toContain("netns");
    const r = cniBridge();
    expect(r.first).toContain("gateway-ok");
    expect(r.fetched).toBe("hello-cni");
  } finally {
    mustCrs("configure --reset detach-netns --yes");
  }
});

const override = () => alice("cat ~/.config/systemd/user/containerd.service.d/override.conf 2>/dev/null").stdout;
const mainPid = () => must(alice("systemctl --user show -P MainPID containerd.service"), "MainPID").trim();

scenario("pasta: --net pasta alone is refused (RootlessKit 2.0.2 takes it only with implicit or none), nothing changes", () => {
  const [before, pid] = [override(), mainPid()];
  const r = crs("configure --net pasta --yes");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('--net=pasta needs --port-driver=implicit (pasta forwards the ports itself) or none, but the port driver is builtin (the default): RootlessKit 2.0.2 refuses pasta with any other');
  expect([override(), mainPid()]).toEqual([before, pid]);
});

/** pasta's process, its AppArmor confinement, tap0's flags, and whether the guest's sshd answers from the namespace containers use. */
function pastaNetwork(): { confinement: string; tap0: string; reached: string } {
  const ns = `$( [ -e "$XDG_RUNTIME_DIR/containerd-rootless/netns" ] && echo nsenter --net=$XDG_RUNTIME_DIR/containerd-rootless/netns )`;
  const pid = must(alice("pgrep -u alice '^pasta' | head -1"), "pasta's pid").trim();
  return {
    confinement: must(alice(`cat /proc/${pid}/attr/current`), "its confinement").trim(),
    tap0: must(crs(`nsenter -- ${ns} ip -o link show tap0`), "tap0"),
    reached: crs(`nsenter -- ${ns} timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.2.15/22; head -c 7 <&3'`).stdout,
  };
}

scenario("pasta under Debian's AppArmor profile: refused, naming the denials, with the root lines; after them pasta runs confined, with detach-netns, and stops", () => {
  const [before, pid] = [override(), mainPid()];
  const refused = crs("configure --net pasta --port-driver implicit --yes");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("AppArmor confines pasta (/etc/apparmor.d/usr.bin.pasta), and its profile denies it RootlessKit's signals");
  expect(refused.stderr).toContain("and the detached network namespace under RootlessKit's copied-up /run");
  expect([override(), mainPid()]).toEqual([before, pid]);
  // the root lines of the refusal's sudo block, run as printed
  const block = refused.stderr.slice(refused.stderr.indexOf("sudo sh -eux <<'EOF'\n") + "sudo sh -eux <<'EOF'\n".length, refused.stderr.lastIndexOf("\nEOF"));
  must(asRoot(block.split("\n")), "the printed root lines");
  mustCrs("configure --net pasta --port-driver implicit --yes");
  const implicit = pastaNetwork();
  expect(implicit.confinement).toBe("pasta (enforce)");
  expect(implicit.tap0).toContain("LOWER_UP");
  expect(implicit.reached).toBe("SSH-2.0");
  // the other port driver pasta takes; and every restart here stopped the confined pasta
  mustCrs("configure --port-driver none --yes");
  expect(pastaNetwork().reached).toBe("SSH-2.0");
  mustCrs("configure --reset net --reset port-driver --yes");
  expect(must(alice("pgrep -u alice -c '^pasta' || true"), "pasta").trim()).toBe("0");
  expect(must(root("dmesg | grep 'apparmor=\"DENIED\"' | grep -c 'profile=\"pasta\"' || true"), "denials").trim()).toBe("0");
});

scenario("bypass4netns: Debian's real bypass4netnsd installed as an add-on answers its API; status says installed", () => {
  const out = mustCrs("install bypass4netns --yes");
  expect(out).toContain("bypass4netnsd");
  expect(must(alice("systemctl --user is-active bypass4netnsd.service"), "is-active").trim()).toBe("active");
  expect(must(alice("readlink -f /proc/$(systemctl --user show -P MainPID bypass4netnsd.service)/exe"), "its program").trim()).toBe("/usr/bin/bypass4netnsd");
  const status = JSON.parse(mustCrs("status --json"));
  expect(status.addons.find((a: { id: string }) => a.id === "bypass4netns")).toMatchObject({ installed: true });
});
