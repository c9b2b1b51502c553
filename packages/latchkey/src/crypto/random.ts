import { randomFillSync } from "node:crypto";

// `crypto.randomBytes()` is one call into OpenSSL per use, and on the request path (an IV for
// every sealed cookie, a pad for every CSRF token) that call costs more than the cipher itself.
// Instead, CSPRNG output is drawn in blocks and handed out in order, each byte once; Node does
// the same for `randomUUID()`. The bytes are as random as `randomBytes()`'s and never reused.
const POOL_BYTES = 8 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `size` fresh random bytes in a new buffer of their own. */
export function randomBytesPooled(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  if (size > POOL_BYTES) return randomFillSync(out);
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(out, 0, offset, offset + size);
  // Wiped as it is handed out, so a heap snapshot taken later does not hold recently issued
  // token secrets.
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
