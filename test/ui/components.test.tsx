// The nerdctl-full bundle in the UI: the apply screen's download bar fed by the engine's
// progress figures (bytes, rate, ETA, a bar that grows), the choose screen's label with the
// size the server tells (or "size unknown", never waiting on the network), and the bundle's
// version / source / checksum fields checked by the commands' own code.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEY, renderWith } from "./harness.tsx";
import { COMPONENTS, scriptedEngine } from "./scripted-engine.ts";
import { ApplyScreen } from "../../ui/screens/apply.tsx";
import { ChooseScreen } from "../../ui/screens/choose.tsx";
import { SettingsScreen } from "../../ui/screens/settings.tsx";
import { progressFigures } from "../../src/core/components/progress.ts";
import { componentsFields } from "../../ui/engine/components-form.ts";
import { componentsSource } from "../../ui/engine/components-source.ts";
import { componentsOffer } from "../../ui/engine/components.ts";
import { createEngine } from "../../ui/engine/create-engine.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { activeVersion } from "../../src/core/components/store.ts";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { startSlowServer, type SlowServer } from "../helpers/slow-server.ts";
import { writeBundle } from "../helpers/tarball.ts";
import type { PlanView } from "../../ui/engine/types.ts";

afterEach(() => cleanup());

const FETCH: PlanView = {
  title: "Fetch nerdctl-full 2.3.5 (containerd next)",
  steps: [{ kind: "systemctl", args: ["daemon-reload"] }],
  items: [{ kind: "command", label: "Fetch, verify and activate nerdctl-full 2.3.5", effect: "create", diff: [] }],
  unchanged: false,
  notes: [],
  components: { version: "2.3.5" },
};

/** The download row of a frame (the line with the rate), and how many cells of its bar are filled. */
function downloadLine(frame: string): { line: string; filled: number } {
  const line = frame.split("\n").find((l) => l.includes("MB/s")) ?? "";
  return { line, filled: [...line].filter((c) => c === "█").length };
}

describe("apply: the download bar", () => {
  test("shows bytes done / total, percent, rate and ETA under the running step, and its bar grows", async () => {
    const engine = scriptedEngine({ manualApply: true });
    const h = renderWith(<ApplyScreen plan={FETCH} onDone={() => {}} onExit={() => {}} />, engine);
    await h.waitFor("Fetch, verify and activate");
    engine.emit({ index: 0, state: "running", download: progressFigures({ bytes: 10e6, total: 40e6, ms: 2000 }) });
    let f = await h.waitFor("ETA 6 s");
    const first = downloadLine(f);
    expect(first.line).toContain("10.0 MB / 40.0 MB (25%) · 5.0 MB/s · ETA 6 s");
    expect(first.line).toContain("░");
    engine.emit({ index: 0, state: "running", download: progressFigures({ bytes: 30e6, total: 40e6, ms: 4000 }) });
    f = await h.waitFor("ETA 2 s");
    const second = downloadLine(f);
    expect(second.line).toContain("30.0 MB / 40.0 MB (75%) · 7.5 MB/s · ETA 2 s");
    expect(second.filled).toBeGreaterThan(first.filled);
    // 25% and 75% of the same bar
    const width = second.line.split(" ").find((w) => w.includes("█"))!.length;
    expect(first.filled).toBe(Math.round(width / 4));
    expect(second.filled).toBe(Math.round((width * 3) / 4));
    for (const l of f.split("\n")) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(80);
    // the step ends: the bar goes, the step is ticked
    engine.nextStep();
    f = await h.waitFor("✓ Fetch, verify and activate");
    expect(f).not.toContain("MB/s");
  });

  test("in the first half second (a burst of buffered chunks): the bar and the bytes, no rate or ETA yet", async () => {
    const engine = scriptedEngine({ manualApply: true });
    const h = renderWith(<ApplyScreen plan={FETCH} onDone={() => {}} onExit={() => {}} />, engine);
    await h.waitFor("Fetch, verify and activate");
    engine.emit({ index: 0, state: "running", download: progressFigures({ bytes: 2e6, total: 40e6, ms: 5 }) });
    const f = await h.waitFor("2.0 MB / 40.0 MB (5%)");
    const line = f.split("\n").find((l) => l.includes("2.0 MB / 40.0 MB"))!;
    expect(line).toMatch(/^ +█*░+ 2\.0 MB \/ 40\.0 MB \(5%\)$/);
    engine.nextStep();
  });

  test("without a Content-Length: the bytes and the rate, no bar and no ETA", async () => {
    const engine = scriptedEngine({ manualApply: true });
    const h = renderWith(<ApplyScreen plan={FETCH} onDone={() => {}} onExit={() => {}} />, engine);
    await h.waitFor("Fetch, verify and activate");
    engine.emit({ index: 0, state: "running", download: progressFigures({ bytes: 5e6, total: null, ms: 2000 }) });
    const f = await h.waitFor("MB/s");
    expect(downloadLine(f).line.trim()).toBe("5.0 MB · 2.5 MB/s");
    engine.nextStep();
  });
});

describe("apply through the real engine: a bundle served slowly", () => {
  let dir: string;
  let server: SlowServer;
  let bundle: { name: string; sha256: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "crs-ui-bundle-"));
    // incompressible filler so the tarball takes several chunks at 100 KB/s
    const filler = crypto.getRandomValues(new Uint8Array(60_000));
    bundle = writeBundle(dir, { version: "1.4.0", tiny: true, extra: [{ path: "share/filler", content: filler }] });
    server = await startSlowServer(dir, 100_000);
  });
  afterAll(() => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the engine's progress events carry growing figures; the bundle is active at the end", async () => {
    const { h: host } = await fakeSystemd();
    try {
      const engine = createEngine(host);
      const source = { from: `${server.url}/${bundle.name}`, sha256: bundle.sha256, insecureHttp: true };
      const plan = await engine.plan({ addons: [], addonOptions: {}, settings: {}, components: true, componentsSource: source });
      expect(plan.components).toEqual({ ...source, version: "1.4.0" });
      expect(plan.items[0]!.detail).toContain("checked against the SHA-256 you gave");
      const seen: string[] = [];
      const outcome = await engine.apply(plan, (p) => p.download && seen.push(`${p.download.done} ${p.download.percent}%`), new AbortController().signal);
      expect(outcome).toEqual({ ok: true, changed: true });
      expect(seen.length).toBeGreaterThan(2);
      const percents = seen.map((s) => Number(/(\d+)%$/.exec(s)![1]));
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(percents.at(-1)).toBe(100);
      expect(await activeVersion(host, resolvePaths(host.env, host.uid))).toBe("1.4.0");
    } finally {
      await host.cleanup();
    }
  }, 30_000);
});

describe("choose: the bundle's size", () => {
  let host: TestHost;
  afterEach(() => host?.cleanup());

  test("asked from the server (redirects followed): its Content-Length in MB; offline: size unknown", async () => {
    host = await makeTestHost({});
    const paths = resolvePaths(host.env, host.uid);
    const asked: string[] = [];
    host.httpGet = async (url) => {
      asked.push(url);
      const redirect = url.startsWith("https://github.com/");
      return { status: redirect ? 302 : 200, location: redirect ? "https://objects.example/tarball" : null, contentLength: redirect ? null : 262_400_000, saveTo: async () => 0, cancel: () => {} };
    };
    const sized = await componentsOffer(host, paths, { size: true });
    expect(sized.choices[1]!.label).toBe("fetch nerdctl-full v2.3.5 (262 MB)");
    expect(asked[0]).toMatch(/^https:\/\/github\.com\/containerd\/nerdctl\/releases\/download\/v2\.3\.5\/nerdctl-full-2\.3\.5-linux-/);
    expect(asked[1]).toBe("https://objects.example/tarball");
    // not asked: no size, and no request
    asked.length = 0;
    expect((await componentsOffer(host, paths)).choices[1]!.label).toBe("fetch nerdctl-full v2.3.5");
    expect(asked).toEqual([]);
    // offline (the request fails) or silent (no answer within the limit): size unknown
    host.httpGet = async () => {
      throw new Error("getaddrinfo ENOTFOUND github.com");
    };
    expect((await componentsOffer(host, paths, { size: true })).choices[1]!.label).toBe("fetch nerdctl-full v2.3.5 (size unknown)");
    host.httpGet = (_url, opts) => new Promise((_, reject) => opts?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    const t0 = performance.now();
    expect((await componentsOffer(host, paths, { size: true, sizeTimeoutMs: 200 })).choices[1]!.label).toBe("fetch nerdctl-full v2.3.5 (size unknown)");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("the screen shows the offer at once and the sized label when it arrives; Enter never waits for it", async () => {
    const engine = scriptedEngine();
    let answer: (v: typeof COMPONENTS) => void = () => {};
    const sized = new Promise<typeof COMPONENTS>((r) => (answer = r));
    engine.components = (opts) => (opts?.size ? sized : Promise.resolve({ ...COMPONENTS, choices: [COMPONENTS.choices[0]!, { id: "bundle", label: "fetch nerdctl-full v2.3.5" }] }));
    let next = 0;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={() => next++} />, engine);
    await h.waitFor("( ) fetch nerdctl-full v2.3.5\n");
    await h.waitFor("BuildKit");
    answer({ ...COMPONENTS, choices: [COMPONENTS.choices[0]!, { id: "bundle", label: "fetch nerdctl-full v2.3.5 (size unknown)" }] });
    await h.waitFor("( ) fetch nerdctl-full v2.3.5 (size unknown)");
    await h.press(KEY.enter);
    expect(next).toBe(1);
  });
});

test("choose: Enter pressed while the add-ons are still being looked at goes on once they are listed (typed ahead, not lost)", async () => {
  const engine = scriptedEngine();
  let list: (v: Awaited<ReturnType<typeof engine.addons>>) => void = () => {};
  const all = await engine.addons();
  engine.addons = () => new Promise((r) => (list = r));
  const chosen: boolean[] = [];
  const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={(_ids, _all, components) => chosen.push(components)} />, engine);
  await h.waitFor("Looking for add-ons");
  await h.press("c");
  await h.waitFor("(•) fetch nerdctl-full");
  await h.press(KEY.enter);
  expect(chosen).toEqual([]); // not yet: nothing to go on with
  list(all);
  await h.waitFor("BuildKit");
  for (let i = 0; i < 50 && chosen.length === 0; i++) await Bun.sleep(10);
  expect(chosen).toEqual([true]); // once, with the bundle chosen before the Enter
});

describe("settings: the bundle's version, source and checksum", () => {
  let host: TestHost;
  afterEach(() => host?.cleanup());

  const form = async () => {
    host = await makeTestHost({});
    const submitted: Record<string, string>[] = [];
    const h = renderWith(<SettingsScreen addons={[]} bundleFields={componentsFields(host)} initial={{}} onNext={(v) => submitted.push(v)} onBack={() => {}} />, scriptedEngine(), { cols: 100, rows: 30 });
    await h.waitFor("nerdctl-full version (--version)");
    return { h, submitted };
  };

  test("the fields come first with their defaults; bad values get the commands' message and fix, and Enter is refused", async () => {
    const { h, submitted } = await form();
    let f = h.lastFrame();
    expect(f).toContain("2.3.5 (default)");
    expect(f).toContain("the GitHub release (default)");
    expect(f).toContain("its pin for 2.2.2, 2.3.5, else the release's SHA256SUMS (default)");
    expect(f).toContain("slirp4netns (default)"); // the RootlessKit settings follow
    await h.press("l", "a", "t", "e", "s", "t");
    f = await h.waitFor('"latest" is not a nerdctl-full version. Give a version like 2.3.5');
    await h.press(KEY.enter);
    expect(submitted).toEqual([]);
    // a URL without the version in its name, and plain http
    await h.press(...Array(6).fill(KEY.backspace), "2", ".", "3", ".", "0", KEY.down);
    await h.waitFor(/› From: URL or file/);
    for (const c of "http://mirror.lan/nerdctl-full-2.3.0-linux-amd64.tar.gz") await h.press(c);
    f = await h.waitFor("refusing plain HTTP");
    expect(f.replace(/\s+/g, " ")).toContain("pass --insecure-http for a mirror on your own network");
    // a checksum that is not one
    await h.press(KEY.down, "a", "b", "c");
    f = await h.waitFor("is not a SHA-256 (64 hex digits)");
    await h.press(KEY.enter);
    expect(submitted).toEqual([]);
    await h.press(KEY.backspace, KEY.backspace, KEY.backspace);
    await h.waitFor((x) => !x.includes("is not a SHA-256"));
    // allowing plain HTTP clears the URL's error
    await h.press(KEY.down, KEY.right);
    f = await h.waitFor((x) => !x.includes("refusing plain HTTP") && x.includes("‹ true ›"));
    await h.press(KEY.enter);
    expect(submitted).toEqual([{ "components.version": "2.3.0", "components.from": "http://mirror.lan/nerdctl-full-2.3.0-linux-amd64.tar.gz", "components.insecure-http": "true" }]);
    expect(componentsSource(submitted[0]!)).toEqual({ version: "2.3.0", from: "http://mirror.lan/nerdctl-full-2.3.0-linux-amd64.tar.gz", insecureHttp: true });
  });

  test("a local file whose name has no version asks for --version; the version given, it is accepted", async () => {
    const { h, submitted } = await form();
    await h.press(KEY.down);
    await h.waitFor(/› From: URL or file/);
    for (const c of "/srv/bundle.tgz") await h.press(c);
    await h.waitFor("cannot tell the version of /srv/bundle.tgz from its name. Pass --version too");
    await h.press(KEY.up, "2", ".", "2", ".", "1");
    await h.waitFor((x) => !x.includes("cannot tell the version"));
    await h.press(KEY.enter);
    expect(submitted).toEqual([{ "components.version": "2.2.1", "components.from": "/srv/bundle.tgz" }]);
  });

  test("the plan refuses a file that does not exist (nothing runs); an existing one is read, checked against SHA256SUMS", async () => {
    const { h: host2 } = await fakeSystemd({ files: { "/srv/nerdctl-full-2.2.1-linux-amd64.tar.gz": "x", "/srv/nerdctl-full-2.2.1-linux-arm64.tar.gz": "x" } });
    try {
      const engine = createEngine(host2);
      const choices = (from: string) => ({ addons: [], addonOptions: {}, settings: {}, components: true, componentsSource: { from } });
      await expect(engine.plan(choices("/srv/missing/nerdctl-full-2.2.1-linux-amd64.tar.gz"))).rejects.toThrow("/srv/missing/nerdctl-full-2.2.1-linux-amd64.tar.gz does not exist");
      const arch = process.arch === "arm64" ? "arm64" : "amd64";
      const plan = await engine.plan(choices(`/srv/nerdctl-full-2.2.1-linux-${arch}.tar.gz`));
      expect(plan.items[0]!.label).toBe("Read, verify and activate nerdctl-full 2.2.1");
      expect(plan.items[0]!.detail).toContain("checked against the release's own SHA256SUMS");
      expect(await host2.exists(resolvePaths(host2.env, host2.uid).stateDir + "/components")).toBe(false);
    } finally {
      await host2.cleanup();
    }
  });
});
