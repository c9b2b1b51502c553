// Finding `_csrf` in form bodies as they stream in: the result never depends on how the body is
// split into chunks, and nothing but the token field is trusted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  bodyKindOf,
  isFormLike,
  multipartBoundary,
} from "../../packages/latchkey/src/csrf/content-type.ts";
import { formTokenScanner } from "../../packages/latchkey/src/csrf/form-token.ts";

const BOUNDARY = "----WebKitFormBoundaryABC123";
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const URLENCODED = "application/x-www-form-urlencoded";

function scan(contentType: string, body: string, cuts: number[] = []): string | null {
  const scanner = formTokenScanner(bodyKindOf(contentType), contentType);
  assert.ok(scanner);
  const bytes = Buffer.from(body, "latin1");
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    const found = scanner.push(bytes.subarray(at, cut));
    if (found !== undefined) return found;
    at = cut;
  }
  const found = scanner.push(bytes.subarray(at));
  return found !== undefined ? found : scanner.finish();
}

function part(name: string, value: string, extra = ""): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;
}
const end = `--${BOUNDARY}--\r\n`;

describe("urlencoded _csrf", () => {
  const rows: [string, string, string | null][] = [
    ["first field", "_csrf=abc&x=1", "abc"],
    ["last field", "x=1&_csrf=abc", "abc"],
    ["percent-encoded", "_csrf=a%2Bb%3D", "a+b="],
    ["plus is a space", "_csrf=a+b", "a b"],
    ["encoded name", "%5Fcsrf=abc", "abc"],
    ["first of two", "_csrf=one&_csrf=two", "one"],
    ["absent", "x=1&y=2", null],
    ["similar names", "x_csrf=1&_csrf_=2&_CSRF=3", null],
    ["empty value", "_csrf=", ""],
    ["bad escape", "_csrf=%zz", ""],
    ["empty body", "", null],
  ];
  for (const [name, body, expected] of rows) {
    it(`${name}`, () => assert.equal(scan(URLENCODED, body), expected));
  }

  it("gives the same answer however the body is split", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom("a", "_csrf", "b_csrf", "x"), fc.string({ maxLength: 12 })),
        ),
        fc.array(fc.nat(200)),
        (fields, cuts) => {
          const body = fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
          const expected = new URLSearchParams(body).get("_csrf");
          return scan(URLENCODED, body, cuts) === expected && scan(URLENCODED, body) === expected;
        },
      ),
    );
  });
});

describe("multipart _csrf", () => {
  const rows: [string, string, string | null][] = [
    ["first part", `${part("_csrf", "tok")}${part("a", "1")}${end}`, "tok"],
    ["after other parts", `${part("a", "1")}${part("_csrf", "tok")}${end}`, "tok"],
    ["with a preamble", `preamble\r\n${part("_csrf", "tok")}${end}`, "tok"],
    [
      "a file named _csrf.txt is not the field",
      `${part("file", "x", '; filename="_csrf"')}${end}`,
      null,
    ],
    [
      "filename= does not count as name=",
      `--${BOUNDARY}\r\nContent-Disposition: form-data; filename="_csrf"\r\n\r\nx\r\n${end}`,
      null,
    ],
    [
      "unquoted name",
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name=_csrf\r\n\r\ntok\r\n${end}`,
      "tok",
    ],
    [
      "a field whose value mentions the boundary text",
      `${part("a", `--${BOUNDARY}x`)}${part("_csrf", "tok")}${end}`,
      "tok",
    ],
    [
      "unterminated token part",
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\ntok`,
      null,
    ],
    ["absent", `${part("a", "1")}${end}`, null],
    ["garbage", "hello world", null],
  ];
  for (const [name, body, expected] of rows) {
    it(name, () => assert.equal(scan(MULTIPART, body), expected));
  }

  it("gives the same answer however the body is split", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("a", "_csrf", "file"),
            fc.stringMatching(/^[A-Za-z0-9 _-]{0,20}$/),
          ),
          { maxLength: 5 },
        ),
        fc.array(fc.nat(300)),
        (fields, cuts) => {
          const body = fields.map(([k, v]) => part(k, v)).join("") + end;
          const expected = fields.find(([k]) => k === "_csrf")?.[1] ?? null;
          return scan(MULTIPART, body, cuts) === expected;
        },
      ),
    );
  });

  it("stops as soon as the field is complete, before a large file", () => {
    const scanner = formTokenScanner("multipart", MULTIPART);
    assert.ok(scanner);
    assert.equal(
      scanner.push(Buffer.from(part("_csrf", "tok"))),
      undefined,
      "needs the next delimiter",
    );
    assert.equal(
      scanner.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"`)),
      "tok",
    );
  });

  it("a truncated body (read limit) never yields a cut-off field", () => {
    const scanner = formTokenScanner("urlencoded", URLENCODED);
    assert.ok(scanner);
    assert.equal(scanner.push(Buffer.from("a=1&_csrf=abcd")), undefined);
    assert.equal(scanner.finish(true), null);
  });
});

describe("content types", () => {
  const rows: [string | undefined, string, boolean, boolean][] = [
    // [content-type, kind, form-like for POST, form-like for PUT]
    [undefined, "none", true, false],
    ["", "none", true, false],
    ["application/json", "other", false, false],
    ["application/json; charset=utf-8", "other", false, false],
    ["Application/X-WWW-Form-Urlencoded", "urlencoded", true, true],
    ["multipart/form-data; boundary=x", "multipart", true, true],
    ["text/plain;charset=UTF-8", "text", true, true],
    ["text/plain, application/json", "text", true, true],
    ["application/csp-report", "other", false, false],
    ["garbage", "text", true, true],
  ];
  for (const [header, kind, post, put] of rows) {
    it(`${JSON.stringify(header)} is ${kind}`, () => {
      assert.equal(bodyKindOf(header), kind);
      assert.equal(isFormLike("POST", bodyKindOf(header)), post);
      assert.equal(isFormLike("PUT", bodyKindOf(header)), put);
    });
  }
  it("boundary parameter, quoted or not", () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), "a b");
    assert.equal(multipartBoundary("multipart/form-data; charset=x; boundary=abc"), "abc");
    assert.equal(multipartBoundary("multipart/form-data"), null);
  });
});

describe("hostile bodies", () => {
  it("never throw, whatever the content type and bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(URLENCODED, MULTIPART, "multipart/form-data; boundary=a"),
          fc.string(),
        ),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        (contentType, chunks) => {
          const scanner = formTokenScanner(bodyKindOf(contentType), contentType);
          if (scanner === null) return true;
          for (const chunk of chunks) {
            const found = scanner.push(chunk);
            if (found !== undefined) return typeof found === "string" || found === null;
          }
          const result = scanner.finish();
          return result === null || typeof result === "string";
        },
      ),
    );
  });
});

describe("cost", () => {
  // A rescan of everything received on every chunk made a 1 MiB body of tiny fields cost ~5 s
  // of CPU per request; a single pass costs tens of milliseconds. The bound is loose on purpose.
  for (const [kind, contentType, body] of [
    ["urlencoded", URLENCODED, "a=1&".repeat(262_144)],
    ["multipart", MULTIPART, part("a", "x").repeat(16_000)],
    [
      "multipart",
      MULTIPART,
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"\r\n\r\n${"x".repeat(1 << 20)}`,
    ],
  ] as const) {
    it(`scans 1 MiB of ${kind} in one pass`, () => {
      const bytes = Buffer.from(body).subarray(0, 1 << 20);
      const scanner = formTokenScanner(kind, contentType);
      assert.ok(scanner);
      const started = performance.now();
      for (let at = 0; at < bytes.length; at += 16_384) {
        assert.equal(scanner.push(bytes.subarray(at, at + 16_384)), undefined);
      }
      assert.equal(scanner.finish(true), null);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000, `${elapsed.toFixed(0)} ms`);
    });
  }
});
