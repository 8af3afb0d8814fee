// Bounds the memory of the unpacker by design. Every chunk the decompressor hands over is a
// fresh buffer, garbage as soon as it is written; at disk speed the collector's own pacing
// lets tens of MB of them pile up, and a minor collection does not free them. (The download
// has no such chunks: http.ts lets the runtime pipe the body to the file.) Measured with
// Bun 1.4, 262 MB: reading fetch's body in JavaScript and discarding it peaked 27-40 MB above
// the start (node:http and node:net alike), a full collection every 1-4 MB held it to
// 12-20 MB, and a body not read did not grow (+4 MB after 2 s idle: the socket's window fills
// and the sender waits) - garbage, not read-ahead. One Reclaimer per transfer: it counts
// bytes and collects after each `every` of them, so at most `every` bytes of dead chunks
// exist at any time, whatever the disk's speed.

/** Bytes between full collections (unpacking 262 MB: +35 MB above the start without, +21 MB with). */
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
