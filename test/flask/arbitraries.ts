// fast-check generators for values a Flask session can hold.
import fc from "fast-check";
import type { FlaskSession, FlaskValue } from "../../packages/latchkey/src/flask/index.ts";
import { FlaskTuple, FlaskUuid, Markup } from "../../packages/latchkey/src/flask/index.ts";

// Keys that collide with Flask's tags are the interesting ones.
const key = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(" t", " di", " b", " m", " u", " d", "__proto__"),
);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }));
// Python keeps 1.0 a float; we read it as the int 1 (documented), so floats here are non-integral.
const float = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((n) => !Number.isInteger(n));
// Years before 1900 are out: Python's email date parser maps two-digit years to 19xx/20xx.
const date = fc
  .integer({ min: Date.UTC(1900, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 })
  .map((s) => new Date(s * 1000));

export const flaskValue: fc.Arbitrary<FlaskValue> = fc.letrec<{ value: FlaskValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    float,
    text,
    fc.uint8Array({ maxLength: 16 }),
    text.map((s) => new Markup(s)),
    fc.uuid().map((u) => new FlaskUuid(u)),
    date,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(tie("value"), { maxLength: 4 }).map((items) => new FlaskTuple(items)),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;

export const flaskSession: fc.Arbitrary<FlaskSession> = fc.dictionary(key, flaskValue, {
  maxKeys: 5,
});
