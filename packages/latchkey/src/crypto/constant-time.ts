import { timingSafeEqual } from "node:crypto";

/**
 * Compares two byte strings in time that depends only on their lengths, never on where they
 * differ (ASVS 5.0 11.2.4). Lengths are not secret here: every caller compares fixed-size MACs
 * or digests.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
