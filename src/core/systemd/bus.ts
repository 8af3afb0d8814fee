// Asking the systemd user manager directly, on its own socket ($XDG_RUNTIME_DIR/systemd/private,
// the one `systemctl --user` itself uses when it runs as that user), instead of starting a
// `systemctl --user show` process for each question: a process is 3-9 ms (more on a busy
// machine, where its CPU is taken from what runs beside it, RootlessKit or containerd starting);
// this is one connection, under a millisecond. Only reads: unit properties and the manager's
// environment. Any failure (no socket, refused, an error reply, a reply not understood) is null,
// and the caller asks systemctl as before, which also words the error a user sees.
import type { Host } from "../os/host.ts";
import { decodeMessages, encodeCall, ERROR, METHOD_RETURN, type Call } from "./bus-wire.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const PROPERTIES = "org.freedesktop.DBus.Properties";

/** systemd's object path of a unit: every byte but [A-Za-z0-9] (and a leading digit) as _XX (sd_bus's bus_label_escape). */
export function unitObjectPath(name: string): string {
  let out = "";
  for (const [i, b] of [...enc.encode(name)].entries()) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z]/.test(c) || (/[0-9]/.test(c) && i > 0) ? c : `_${b.toString(16).padStart(2, "0")}`;
  }
  return `/org/freedesktop/systemd1/unit/${out}`;
}

/**
 * The EXTERNAL authentication as `uid`, and BEGIN. The calls go only once the manager said OK: sd-bus
 * reads the messages that came in the same read as BEGIN only when more data arrives (seen with
 * systemd 252: a single call sent with BEGIN was never answered), and systemctl waits for OK too.
 */
export function busAuth(uid: number): Uint8Array {
  const hexUid = [...enc.encode(String(uid))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return enc.encode(`\0AUTH EXTERNAL ${hexUid}\r\nBEGIN\r\n`);
}

/** The calls, serials 1..n, in one buffer. */
export function busMessages(calls: readonly Call[]): Uint8Array {
  const parts = calls.map((c, i) => encodeCall(i + 1, c));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

type Answers = ({ ok: true; body: unknown[] } | { ok: false; error: string })[];

/** What came back: null while incomplete; "rejected" when the manager refused us; else each call's answer, in order. */
export function busAnswers(received: Uint8Array, calls: number): Answers | "rejected" | null {
  const head = dec.decode(received.subarray(0, Math.min(received.length, 256)));
  if (head.startsWith("REJECTED") || head.startsWith("ERROR")) return "rejected";
  const eol = head.indexOf("\r\n");
  if (eol < 0) return null;
  if (!head.startsWith("OK ")) return "rejected";
  const { messages } = decodeMessages(received.subarray(eol + 2));
  const answers: Answers = [];
  for (let serial = 1; serial <= calls; serial++) {
    const m = messages.find((x) => x.replySerial === serial && (x.type === METHOD_RETURN || x.type === ERROR));
    if (!m) return null;
    answers.push(m.type === METHOD_RETURN ? { ok: true, body: m.body } : { ok: false, error: m.errorName ?? "error" });
  }
  return answers;
}

/** Sends the calls on one connection; null when the manager cannot be asked this way. */
export async function busCalls(host: Host, calls: readonly Call[], timeoutMs = 1000): Promise<Answers | null> {
  const rt = host.env.XDG_RUNTIME_DIR;
  if (!rt || !rt.startsWith("/") || calls.length === 0) return null;
  let answers: Answers | "rejected" | null = null;
  const done = (received: Uint8Array) => {
    try {
      answers = busAnswers(received, calls.length);
    } catch {
      answers = "rejected"; // a reply this reader does not understand: systemctl is asked instead
    }
    return answers !== null;
  };
  let sent = false;
  const more = (received: Uint8Array) => (!sent && dec.decode(received.subarray(0, 128)).startsWith("OK ") && received.includes(10) ? ((sent = true), busMessages(calls)) : null);
  const received = await host.unixSocketExchange(`${rt}/systemd/private`, busAuth(host.uid), { timeoutMs, done, more }).catch(() => null);
  if (received === null) return null;
  const final = answers as Answers | "rejected" | null;
  return final === null || final === "rejected" ? null : final;
}

/** Properties.GetAll of one interface of an object. */
export const getAll = (path: string, iface: string): Call => ({ path, iface: PROPERTIES, member: "GetAll", args: [iface] });
/** Properties.Get of one property. */
export const getProperty = (path: string, iface: string, name: string): Call => ({ path, iface: PROPERTIES, member: "Get", args: [iface, name] });
