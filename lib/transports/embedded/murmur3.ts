/**
 * MurmurHash3 x86 32-bit of a string's UTF-8 bytes, seed 0 — the hash Pulsar's Key_Shared
 * dispatcher applies to a message's sticky key (then modulo the 65536-slot hash range).
 * ASCII keys are hashed straight from their char codes, without encoding to a buffer.
 */
export function murmur3(key: string, seed = 0): number {
  let ascii = true;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return hashAscii(key, seed);
  const bytes = Buffer.from(key, "utf8");
  return hashBytes((i) => bytes[i]!, bytes.length, seed);
}

/** The same hash with the bytes read as char codes (valid when every char is < 0x80). */
function hashAscii(key: string, seed: number): number {
  const len = key.length;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= key.charCodeAt(blocks + 2) << 16;
    if (tail >= 2) k ^= key.charCodeAt(blocks + 1) << 8;
    k ^= key.charCodeAt(blocks);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  return fmix(h, len);
}

function fmix(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86 32-bit of raw bytes. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  return hashBytes((i) => bytes[i]!, bytes.length, seed);
}

function hashBytes(byteAt: (i: number) => number, len: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= byteAt(blocks + 2) << 16;
    if (tail >= 2) k ^= byteAt(blocks + 1) << 8;
    k ^= byteAt(blocks);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  return fmix(h, len);
}
