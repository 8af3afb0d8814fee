// Bounds the memory of a streamed transfer by design. Every chunk the runtime hands over
// (fetch's body, the decompressor's output, a file read) is a fresh buffer, garbage as soon as
// it is hashed and written; the collector's own pacing lets tens of MB of them pile up at
// disk speed, and a minor collection does not free them (they are kept alive by the old
// generation's write barrier until a full one). Measured with Bun 1.4 against a local
// server, 262 MB: reading fetch's body and discarding it peaked 27-40 MB above the start
// (node:http and node:net alike); a full collection every 1-4 MB held it to 12-20 MB. Not
// reading does not grow memory (the socket's window fills and the sender waits: +4 MB after
// 2 s idle), so the unbounded part was garbage, not read-ahead; the reader awaits each write
// (FileWriter.write waits for the disk) before it asks for the next chunk.
// One Reclaimer per transfer: it counts bytes and collects after each `every` of them, so at
// most `every` bytes of dead chunks exist at any time, whatever the network's speed.

/** Bytes between full collections: the compiled binary's peak for a 262 MB bundle went from 89 to 66 MB. */
export const COLLECT_EVERY = 8 << 20;

export class Reclaimer {
  private since = 0;
  constructor(private readonly every = COLLECT_EVERY) {}

  /** Counts `bytes` more that became garbage; collects when `every` have piled up. */
  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    Bun.gc(true);
  }
}
