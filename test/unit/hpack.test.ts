// HPACK decoding against the examples of RFC 7541 Appendix C (each series decoded on one
// decoder, as on one connection: the dynamic table carries over, with evictions in C.5/C.6),
// Huffman strings, and the errors a broken header block must give.
import { describe, expect, test } from "bun:test";
import { HpackDecoder, HpackError, encodeInteger, type HeaderField } from "../../src/core/os/hpack.ts";
import { huffmanDecode, HuffmanError } from "../../src/core/os/hpack-huffman.ts";

const hex = (s: string) => new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("C.1 integers", () => {
  test("10 and 1337 with a 5-bit prefix, 42 at an octet boundary", () => {
    expect(encodeInteger(10, 5)).toEqual([0x0a]);
    expect(encodeInteger(1337, 5)).toEqual([0x1f, 0x9a, 0x0a]);
    expect(encodeInteger(42, 8)).toEqual([0x2a]);
    // and back: 1337 in the 5-bit prefix of a table size update
    expect(() => new HpackDecoder(1000).decode(new Uint8Array([0x3f, 0x9a, 0x0a]))).toThrow("a dynamic table size update to 1337, above the 1000 allowed");
  });
});

describe("C.2 header field representations", () => {
  test("literal with indexing: custom-key goes into the dynamic table (size 55)", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([["custom-key", "custom-header"]]);
    expect(d.table()).toEqual({ entries: [["custom-key", "custom-header"]], size: 55 });
  });
  test("literal without indexing, never indexed, indexed: nothing enters the table", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([[":path", "/sample/path"]]);
    expect(d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual([["password", "secret"]]);
    expect(d.decode(hex("82"))).toEqual([[":method", "GET"]]);
    expect(d.table()).toEqual({ entries: [], size: 0 });
  });
});

type Step = [block: string, fields: HeaderField[], table: HeaderField[], size: number];
const series = (size: number, steps: Step[]) => {
  const d = new HpackDecoder(size);
  for (const [block, fields, table, tableSize] of steps) {
    expect(d.decode(hex(block))).toEqual(fields);
    expect(d.table()).toEqual({ entries: table, size: tableSize });
  }
};

const REQ1: HeaderField[] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]];
const REQ2: HeaderField[] = [...REQ1, ["cache-control", "no-cache"]];
const REQ3: HeaderField[] = [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]];
const requestTables: HeaderField[][] = [[[":authority", "www.example.com"]], [["cache-control", "no-cache"], [":authority", "www.example.com"]], [["custom-key", "custom-value"], ["cache-control", "no-cache"], [":authority", "www.example.com"]]];

test("C.3 requests without Huffman coding", () => {
  series(4096, [
    ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", REQ1, requestTables[0]!, 57],
    ["8286 84be 5808 6e6f 2d63 6163 6865", REQ2, requestTables[1]!, 110],
    ["8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", REQ3, requestTables[2]!, 164],
  ]);
});

test("C.4 requests with Huffman coding", () => {
  series(4096, [
    ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", REQ1, requestTables[0]!, 57],
    ["8286 84be 5886 a8eb 1064 9cbf", REQ2, requestTables[1]!, 110],
    ["8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", REQ3, requestTables[2]!, 164],
  ]);
});

const LOC: HeaderField = ["location", "https://www.example.com"];
const DATE1: HeaderField = ["date", "Mon, 21 Oct 2013 20:13:21 GMT"];
const DATE2: HeaderField = ["date", "Mon, 21 Oct 2013 20:13:22 GMT"];
const PRIVATE: HeaderField = ["cache-control", "private"];
const COOKIE: HeaderField = ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"];
const GZIP: HeaderField = ["content-encoding", "gzip"];
const responses = (blocks: [string, string, string]): Step[] => [
  [blocks[0], [[":status", "302"], PRIVATE, DATE1, LOC], [LOC, DATE1, PRIVATE, [":status", "302"]], 222],
  // ":status 307" evicts ":status 302" from the 256-octet table
  [blocks[1], [[":status", "307"], PRIVATE, DATE1, LOC], [[":status", "307"], LOC, DATE1, PRIVATE], 222],
  [blocks[2], [[":status", "200"], PRIVATE, DATE2, LOC, GZIP, COOKIE], [COOKIE, GZIP, DATE2], 215],
];

test("C.5 responses without Huffman coding, a 256-octet table with evictions", () => {
  series(
    256,
    responses([
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4803 3330 37c1 c0bf",
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
    ]),
  );
});

test("C.6 responses with Huffman coding, the same evictions", () => {
  series(
    256,
    responses([
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      "4883 640e ffc1 c0bf",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ]),
  );
});

describe("Huffman strings and broken blocks", () => {
  test("a Huffman string decodes; EOS inside it, or padding that is not all ones, is an error", () => {
    expect(text(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")))).toBe("www.example.com");
    expect(text(huffmanDecode(hex("a8eb 1064 9cbf")))).toBe("no-cache");
    expect(() => huffmanDecode(hex("ffff fffc"))).toThrow(HuffmanError); // EOS (30 ones) + padding
    expect(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4fe"))).toThrow("bad padding");
    expect(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff"))).toThrow("bad padding"); // 8 bits of padding
  });
  test("a table size update above the limit, after a field, or a block cut inside a field: errors", () => {
    expect(() => new HpackDecoder(256).decode(hex("3fe1 1f"))).toThrow("above the 256 allowed"); // 4096
    expect(() => new HpackDecoder().decode(hex("82 20"))).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(hex("400a 6375 7374"))).toThrow("longer than its header block");
  });
  test("a size update to 0 empties the dynamic table: its entry 62 is gone", () => {
    const d = new HpackDecoder();
    d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    expect(d.decode(hex("be"))).toEqual([["custom-key", "custom-header"]]);
    expect(() => d.decode(hex("20 be"))).toThrow("index 62 is beyond the tables (dynamic table of 0)");
  });
});
