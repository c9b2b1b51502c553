// The values a Flask session can hold once Flask's tagged JSON is undone. Plain JSON values map
// to themselves; the Python types JSON cannot express get a small class each, so a value read
// from a Flask cookie can be written back byte for byte.
import { LatchkeyError } from "../core/errors.ts";

/** A Python `tuple` (tagged `" t"`); a plain array is a Python `list`. */
export class FlaskTuple {
  readonly items: readonly FlaskValue[];
  constructor(items: readonly FlaskValue[]) {
    this.items = items;
  }
}

/** `markupsafe.Markup` (tagged `" m"`): HTML the app marked safe. */
export class Markup {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
}

/**
 * A Python `uuid.UUID` (tagged `" u"`, serialized as 32 lowercase hex digits). Text that is not a
 * UUID throws a `flask-value-invalid` LatchkeyError.
 */
export class FlaskUuid {
  /** 32 lowercase hex digits. */
  readonly hex: string;
  constructor(text: string) {
    const hex = text
      .trim()
      .replace(/^urn:uuid:/i, "")
      .replace(/[{}-]/g, "")
      .toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex)) {
      throw new LatchkeyError("flask-value-invalid", "latchkey/flask: FlaskUuid needs a UUID");
    }
    this.hex = hex;
  }
  toString(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/**
 * A decoded Flask session value. `Uint8Array` is Python `bytes` (`" b"`), `Date` a `datetime`
 * (`" d"`, second precision, UTC). Numbers: integers are Python ints, others floats; a Python
 * float with an integral value (`1.0`) reads as `1` and is written back as an int.
 */
export type FlaskValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Date
  | Markup
  | FlaskUuid
  | FlaskTuple
  | FlaskValue[]
  | { [key: string]: FlaskValue };

/** The top level of a session: a dict. */
export type FlaskSession = { [key: string]: FlaskValue };
