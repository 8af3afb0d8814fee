// Verifies minisign signatures with node:crypto, so self-update needs no minisign program.
// Format (https://jedisct1.github.io/minisign/, and minisign's src/minisign.c):
//   public key: base64( "Ed" | key id (8) | Ed25519 public key (32) )
//   .minisig:   "untrusted comment: ..." / base64( "Ed"|"ED" | key id (8) | signature (64) )
//               / "trusted comment: TEXT" / base64( global signature (64) )
// "ED" signs BLAKE2b-512(file) (the default since minisign 0.8), "Ed" signs the file
// itself; the global signature signs signature | TEXT, so the trusted comment is signed too.
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

export interface PublicKey {
  keyId: string;
  key: KeyObject;
}

export class SignatureError extends Error {}

/** Ed25519 raw key -> SPKI DER: the fixed prefix of an Ed25519 SubjectPublicKeyInfo. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

/** Accepts a .pub file's text or its base64 line. */
export function parsePublicKey(text: string): PublicKey {
  const line = text.trim().split("\n").pop()!.trim();
  const raw = Buffer.from(line, "base64");
  if (raw.length !== 42 || raw.subarray(0, 2).toString("latin1") !== "Ed") throw new SignatureError("not a minisign public key (expected base64 of 42 bytes starting with Ed)");
  // minisign prints key ids as the little-endian 64-bit number in hex
  return { keyId: hex(raw.subarray(2, 10).reverse()), key: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw.subarray(10)]), format: "der", type: "spki" }) };
}

export interface Verified {
  trustedComment: string;
}

/** Throws SignatureError unless `sigText` is a valid signature of `data` by `pub`. */
export function verifySignature(data: Uint8Array, sigText: string, pub: PublicKey): Verified {
  const lines = sigText.replace(/\r/g, "").split("\n");
  if (lines.length < 4 || !lines[0]!.startsWith("untrusted comment:") || !lines[2]!.startsWith("trusted comment: ")) throw new SignatureError("not a minisign signature file (expected 4 lines: untrusted comment, signature, trusted comment, global signature)");
  const sig = Buffer.from(lines[1]!.trim(), "base64");
  if (sig.length !== 74) throw new SignatureError("malformed minisign signature (wrong length)");
  const alg = sig.subarray(0, 2).toString("latin1");
  if (alg !== "Ed" && alg !== "ED") throw new SignatureError(`unknown minisign signature algorithm ${JSON.stringify(alg)}`);
  const keyId = hex(Buffer.from(sig.subarray(2, 10)).reverse());
  if (keyId !== pub.keyId) throw new SignatureError(`signed with key ${keyId}, but this build trusts key ${pub.keyId}`);
  const signature = sig.subarray(10);
  const message = alg === "ED" ? createHash("blake2b512").update(data).digest() : Buffer.from(data);
  if (!verify(null, message, pub.key, signature)) throw new SignatureError("the signature does not match the file (it was changed after signing, or signed by another key)");
  const trustedComment = lines[2]!.slice("trusted comment: ".length);
  const global = Buffer.from(lines[3]!.trim(), "base64");
  if (!verify(null, Buffer.concat([signature, Buffer.from(trustedComment, "utf8")]), pub.key, global)) throw new SignatureError("the trusted comment was changed after signing");
  return { trustedComment };
}
