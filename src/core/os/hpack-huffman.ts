// The Huffman code of HPACK (RFC 7541 section 5.2 and Appendix B), decoding only: real servers
// (grpc-go through golang.org/x/net/http2/hpack, nghttp2, ...) send a header string Huffman-coded
// whenever that is shorter, e.g. grpc-message. The code of Appendix B is canonical (codes of one
// length are consecutive, in symbol order, and follow the shorter ones), so the code lengths
// alone define it; the table below lists them for the symbols 0..256 (256 is EOS), one letter
// each: "a" is 5 bits, "b" 6, ... "z" 30.

const LENGTHS =
  "isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz";
const EOS = 256;
const MAX_BITS = 30;

export class HuffmanError extends Error {}

interface Canonical {
  /** symbols ordered by (code length, symbol): the order codes are assigned in */
  symbols: number[];
  /** per code length: the first code, the index of its symbol in `symbols`, how many codes */
  first: number[];
  index: number[];
  count: number[];
}

let table: Canonical | undefined;

function canonical(): Canonical {
  if (table) return table;
  const length = (s: number) => LENGTHS.charCodeAt(s) - 97 + 5;
  const symbols = Array.from({ length: 257 }, (_, s) => s).sort((a, b) => length(a) - length(b) || a - b);
  const first = new Array<number>(MAX_BITS + 1).fill(0);
  const index = new Array<number>(MAX_BITS + 1).fill(0);
  const count = new Array<number>(MAX_BITS + 1).fill(0);
  for (const s of symbols) count[length(s)]!++;
  let code = 0;
  let at = 0;
  for (let bits = 1; bits <= MAX_BITS; bits++) {
    first[bits] = code;
    index[bits] = at;
    code = (code + count[bits]!) * 2;
    at += count[bits]!;
  }
  return (table = { symbols, first, index, count });
}

/** The octets a Huffman-coded HPACK string stands for. Throws HuffmanError on EOS, bad padding or an unknown code. */
export function huffmanDecode(data: Uint8Array): Uint8Array {
  const { symbols, first, index, count } = canonical();
  const out: number[] = [];
  let code = 0;
  let bits = 0;
  for (const byte of data) {
    for (let b = 7; b >= 0; b--) {
      code = code * 2 + ((byte >> b) & 1);
      bits++;
      const offset = code - first[bits]!;
      if (offset >= 0 && offset < count[bits]!) {
        const symbol = symbols[index[bits]! + offset]!;
        if (symbol === EOS) throw new HuffmanError("the EOS symbol inside a Huffman-coded string");
        out.push(symbol);
        code = 0;
        bits = 0;
      } else if (bits >= MAX_BITS) {
        throw new HuffmanError("an unknown Huffman code");
      }
    }
  }
  // padding: fewer than 8 bits, all ones (the most significant bits of EOS), RFC 7541 section 5.2
  if (bits > 7 || code !== 2 ** bits - 1) throw new HuffmanError("bad padding after a Huffman-coded string");
  return new Uint8Array(out);
}
