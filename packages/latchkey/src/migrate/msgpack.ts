// A small msgpack decoder for what Flask-Session (msgspec) writes: nil, booleans, integers,
// floats, strings, binary, arrays, maps, and the timestamp extension (datetimes; all three
// forms). Bounded: nesting at most MAX_DEPTH, every declared length checked against the bytes
// left before anything is allocated, map keys only strings or numbers (kept in a null-prototype
// object, so a key named `__proto__` is only a key). Anything else throws a MsgpackError;
// callers treat that as a malformed session.

const MAX_DEPTH = 32;
// ECMAScript's Date range, ±8.64e15 ms.
const MAX_DATE_SECONDS = 8.64e12;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class MsgpackError extends Error {}

/** Decodes one msgpack value that spans all of `bytes`. */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  const value = reader.value(0);
  if (reader.offset !== bytes.length) throw new MsgpackError("trailing bytes");
  return value;
}

class Reader {
  offset = 0;
  readonly #view: DataView;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new MsgpackError("nested too deeply");
    const type = this.#u(1);
    if (type <= 0x7f) return type;
    if (type >= 0xe0) return type - 0x100;
    if ((type & 0xe0) === 0xa0) return this.#text(type & 0x1f);
    if ((type & 0xf0) === 0x90) return this.#array(type & 0x0f, depth);
    if ((type & 0xf0) === 0x80) return this.#map(type & 0x0f, depth);
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#bin(this.#u(1));
      case 0xc5:
        return this.#bin(this.#u(2));
      case 0xc6:
        return this.#bin(this.#u(4));
      case 0xca:
        return this.#view.getFloat32(this.#advance(4));
      case 0xcb:
        return this.#view.getFloat64(this.#advance(8));
      case 0xcc:
        return this.#u(1);
      case 0xcd:
        return this.#u(2);
      case 0xce:
        return this.#u(4);
      case 0xcf:
        return safe(this.#view.getBigUint64(this.#advance(8)));
      case 0xd0:
        return this.#view.getInt8(this.#advance(1));
      case 0xd1:
        return this.#view.getInt16(this.#advance(2));
      case 0xd2:
        return this.#view.getInt32(this.#advance(4));
      case 0xd3:
        return safe(this.#view.getBigInt64(this.#advance(8)));
      case 0xd6:
        return this.#timestamp(4);
      case 0xd7:
        return this.#timestamp(8);
      case 0xc7:
        // ext 8 of 12 bytes: the 96-bit timestamp msgspec writes for datetimes before 1970
        // (or past 2514), such as a birth date.
        if (this.#u(1) !== 12) throw new MsgpackError("unsupported extension");
        return this.#timestamp(12);
      case 0xd9:
        return this.#text(this.#u(1));
      case 0xda:
        return this.#text(this.#u(2));
      case 0xdb:
        return this.#text(this.#u(4));
      case 0xdc:
        return this.#array(this.#u(2), depth);
      case 0xdd:
        return this.#array(this.#u(4), depth);
      case 0xde:
        return this.#map(this.#u(2), depth);
      case 0xdf:
        return this.#map(this.#u(4), depth);
      default:
        throw new MsgpackError(`unsupported type 0x${type.toString(16)}`);
    }
  }

  #advance(length: number): number {
    if (length > this.#bytes.length - this.offset) throw new MsgpackError("truncated");
    const at = this.offset;
    this.offset += length;
    return at;
  }

  #u(length: 1 | 2 | 4): number {
    const at = this.#advance(length);
    if (length === 1) return this.#view.getUint8(at);
    return length === 2 ? this.#view.getUint16(at) : this.#view.getUint32(at);
  }

  #take(length: number): Uint8Array {
    const at = this.#advance(length);
    return this.#bytes.subarray(at, at + length);
  }

  #bin(length: number): Uint8Array {
    // A copy, and a plain Uint8Array: on a Buffer (what Redis clients answer), slice() would be
    // a view of the reply's memory.
    return new Uint8Array(this.#take(length));
  }

  #text(length: number): string {
    const bytes = this.#take(length);
    try {
      return utf8.decode(bytes);
    } catch {
      // TextDecoder's own TypeError would be the one failure not a MsgpackError.
      throw new MsgpackError("invalid UTF-8");
    }
  }

  #array(length: number, depth: number): unknown[] {
    // Every item takes at least one byte: a length beyond the bytes left is a lie.
    if (length > this.#bytes.length - this.offset) throw new MsgpackError("truncated");
    const items: unknown[] = [];
    for (let i = 0; i < length; i++) items.push(this.value(depth + 1));
    return items;
  }

  #map(length: number, depth: number): Record<string, unknown> {
    if (length * 2 > this.#bytes.length - this.offset) throw new MsgpackError("truncated");
    const map: Record<string, unknown> = Object.create(null);
    for (let i = 0; i < length; i++) {
      const key = this.value(depth + 1);
      if (typeof key !== "string" && typeof key !== "number") throw new MsgpackError("map key");
      map[String(key)] = this.value(depth + 1);
    }
    return map;
  }

  /** The timestamp extension (type -1) in its three forms: what msgspec writes for a datetime. */
  #timestamp(length: 4 | 8 | 12): Date {
    if (this.#view.getInt8(this.#advance(1)) !== -1)
      throw new MsgpackError("unsupported extension");
    if (length === 4) return new Date(this.#u(4) * 1000);
    let nanoseconds: number;
    let seconds: number;
    if (length === 8) {
      const high = this.#u(4);
      nanoseconds = high >>> 2;
      seconds = (high & 0x3) * 2 ** 32 + this.#u(4);
    } else {
      nanoseconds = this.#u(4);
      seconds = Number(this.#view.getBigInt64(this.#advance(8)));
    }
    // Past these, the spec calls the timestamp invalid and Date cannot hold it (an Invalid Date
    // would throw later, when the session is turned into JSON).
    if (nanoseconds > 999_999_999 || Math.abs(seconds) >= MAX_DATE_SECONDS)
      throw new MsgpackError("timestamp out of range");
    return new Date(seconds * 1000 + Math.floor(nanoseconds / 1e6));
  }
}

function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MsgpackError("integer out of range");
  }
  return Number(value);
}
