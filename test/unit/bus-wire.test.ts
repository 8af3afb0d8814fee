// The D-Bus wire format (systemd/bus-wire.ts) and the manager conversation (systemd/bus.ts):
// a call read back field by field, a reply with a{sv} of several types and an error reply
// decoded, the unit path escaping, and partial input waited for. The real manager answering as
// systemctl does is test/e2e/bus.test.ts.
import { expect, test } from "bun:test";
import { decodeMessages, encodeCall, ERROR, METHOD_CALL, METHOD_RETURN } from "../../src/core/systemd/bus-wire.ts";
import { busAnswers, busAuth, busMessages, getAll, unitObjectPath } from "../../src/core/systemd/bus.ts";

/** A little-endian marshaller for the replies a test needs: [type, value] pairs. */
class Out {
  bytes: number[] = [];
  pad(n: number) {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  u32(v: number) {
    this.pad(4);
    this.bytes.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  }
  str(s: string) {
    this.u32(s.length);
    for (const c of s) this.bytes.push(c.charCodeAt(0));
    this.bytes.push(0);
  }
  sig(s: string) {
    this.bytes.push(s.length);
    for (const c of s) this.bytes.push(c.charCodeAt(0));
    this.bytes.push(0);
  }
  u64(v: bigint) {
    this.pad(8);
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((v >> (8n * i)) & 255n));
  }
  /** an array: its byte length, then the elements (the first at `align`) */
  array(align: number, write: () => void) {
    this.u32(0);
    const lengthAt = this.bytes.length - 4;
    this.pad(align);
    const start = this.bytes.length;
    write();
    const len = this.bytes.length - start;
    this.bytes.splice(lengthAt, 4, len & 255, (len >> 8) & 255, (len >> 16) & 255, 0);
  }
}

function message(type: number, replySerial: number, signature: string, body: (o: Out) => void, errorName?: string): Uint8Array {
  const b = new Out();
  body(b);
  const f = new Out();
  const field = (code: number, sig: string, write: () => void) => (f.pad(8), f.bytes.push(code), f.sig(sig), write());
  field(5, "u", () => f.u32(replySerial));
  if (errorName) field(4, "s", () => f.str(errorName));
  if (signature) field(8, "g", () => f.sig(signature));
  const h = new Out();
  h.bytes.push(108, type, 0, 1);
  h.u32(b.bytes.length);
  h.u32(99);
  h.u32(f.bytes.length);
  h.bytes.push(...f.bytes);
  h.pad(8);
  return Uint8Array.from([...h.bytes, ...b.bytes]);
}

test("a call: header fields and string arguments read back as written", () => {
  const [m] = decodeMessages(encodeCall(7, getAll("/org/freedesktop/systemd1/unit/containerd_2eservice", "org.freedesktop.systemd1.Unit"))).messages;
  expect(m).toMatchObject({ type: METHOD_CALL, body: ["org.freedesktop.systemd1.Unit"] });
});

test("a reply of a{sv} (strings, u, b, t, as, a struct) and an error, each matched to its call", () => {
  const reply = message(METHOD_RETURN, 1, "a{sv}", (o) => {
    const entries: [string, string, (o: Out) => void][] = [
      ["LoadState", "s", (x) => x.str("loaded")],
      ["MainPID", "u", (x) => x.u32(4242)],
      ["NeedDaemonReload", "b", (x) => x.u32(1)],
      ["ActiveEnterTimestamp", "t", (x) => x.u64(1764471765000000n)],
      ["Names", "as", (x) => x.array(4, () => (x.str("a.service"), x.str("b.service")))],
      ["LoadError", "(ss)", (x) => (x.pad(8), x.str(""), x.str(""))],
    ];
    o.array(8, () => {
      for (const [k, sig, write] of entries) {
        o.pad(8);
        o.str(k);
        o.sig(sig);
        write(o);
      }
    });
  });
  const error = message(ERROR, 2, "s", (o) => o.str("Unit x not loaded"), "org.freedesktop.DBus.Error.UnknownObject");
  const received = new Uint8Array([...new TextEncoder().encode("OK 6d94038f2a70410997aa0782d9bbd8f9\r\n"), ...reply, ...error]);
  expect(busAnswers(received, 2)).toEqual([
    { ok: true, body: [{ LoadState: "loaded", MainPID: 4242, NeedDaemonReload: true, ActiveEnterTimestamp: 1764471765000000, Names: ["a.service", "b.service"], LoadError: ["", ""] }] },
    { ok: false, error: "org.freedesktop.DBus.Error.UnknownObject" },
  ]);
  // cut anywhere before the end: still waiting
  expect(busAnswers(received.subarray(0, received.length - 3), 2)).toBeNull();
  expect(busAnswers(new TextEncoder().encode("REJECTED EXTERNAL\r\n"), 1)).toBe("rejected");
});

test("unit object paths escape as sd-bus does; authentication as the uid's digits in hex, the calls after it", () => {
  expect(unitObjectPath("containerd.service")).toBe("/org/freedesktop/systemd1/unit/containerd_2eservice");
  expect(unitObjectPath("user@1000.service")).toBe("/org/freedesktop/systemd1/unit/user_401000_2eservice");
  expect(unitObjectPath("0a-b.socket")).toBe("/org/freedesktop/systemd1/unit/_30a_2db_2esocket");
  expect(new TextDecoder().decode(busAuth(1000))).toBe("\0AUTH EXTERNAL 31303030\r\nBEGIN\r\n");
  expect(decodeMessages(busMessages([getAll("/a", "x"), getAll("/b", "y")])).messages.map((m) => m.body)).toEqual([["x"], ["y"]]);
});
