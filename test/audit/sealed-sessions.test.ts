// Sealed (encrypted) client-side sessions: recognised and named, never read, never cracked,
// never given an entropy verdict. Tokens come from the real libraries where one is at hand —
// iron-session (npm), Fernet (Python `cryptography`), JWE (Python `jwcrypto`) — and are built
// by hand from the format's specification otherwise: JWE "dir" + A256GCM per RFC 7516 (so the
// test runs without Python too), Rails' ActiveSupport::MessageEncryptor (GCM and the older CBC +
// MessageVerifier form) and ASP.NET Core Data Protection.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import { sealData } from "iron-session";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { decodeClientSession } from "../../packages/latchkey-cli/src/audit/client-session.ts";
import { recogniseSealed } from "../../packages/latchkey-cli/src/audit/sealed-formats.ts";
import { bundledCandidates } from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import { GOOD_HEADERS, observations, response } from "./fixtures.ts";

const HTTPS = "https://app.example.com/";
const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** RFC 7516 compact JWE with "dir" key management and A256GCM content encryption. */
function handBuiltJwe(payload: object): string {
  const header = b64url(JSON.stringify({ alg: "dir", enc: "A256GCM" }));
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", randomBytes(32), iv);
  cipher.setAAD(Buffer.from(header, "ascii"));
  const ct = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]);
  return [header, "", b64url(iv), b64url(ct), b64url(cipher.getAuthTag())].join(".");
}

/** ActiveSupport::MessageEncryptor, AES-256-GCM (Rails ≥ 5.2), as a cookie (CGI-escaped). */
function handBuiltRailsGcm(payload: object): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", randomBytes(32), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]);
  const value = [data, iv, cipher.getAuthTag()].map((b) => b.toString("base64")).join("--");
  return encodeURIComponent(value);
}

/** The older AES-256-CBC form, wrapped by MessageVerifier with a SHA1 HMAC. */
function handBuiltRailsCbc(payload: object): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", randomBytes(32), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]);
  const inner = Buffer.from(`${data.toString("base64")}--${iv.toString("base64")}`).toString(
    "base64",
  );
  return encodeURIComponent(`${inner}--${createHmac("sha1", "k").update(inner).digest("hex")}`);
}

/** IDataProtector.Protect: magic header, key id, key modifier, IV, AES-CBC ciphertext, HMAC. */
function handBuiltDataProtection(): string {
  const magic = Buffer.from([0x09, 0xf0, 0xc9, 0xf0]);
  const body = [
    randomBytes(16),
    randomBytes(16),
    randomBytes(16),
    randomBytes(64),
    randomBytes(32),
  ];
  return b64url(Buffer.concat([magic, ...body]));
}

function python(code: string): string {
  const run = spawnSync("python3", ["-c", code], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

describe("sealed session formats", () => {
  let iron: string;
  before(async () => {
    iron = await sealData({ user: "alice" }, { password: randomBytes(32).toString("hex") });
  });

  it("recognises tokens built from each format's specification", async () => {
    const cases: [string, string][] = [
      ["iron-session", iron],
      ["iron-session", encodeURIComponent(iron)],
      ["jwe", handBuiltJwe({ user: "alice" })],
      ["rails-encrypted", handBuiltRailsGcm({ user_id: 7 })],
      ["rails-encrypted", handBuiltRailsCbc({ user_id: 7 })],
      ["aspnet-data-protection", handBuiltDataProtection()],
    ];
    for (const [format, value] of cases) {
      const session = decodeClientSession("s", value, new Set());
      assert.deepEqual(session, { format, sealed: true, keys: [] }, `${format}: ${value}`);
    }
  });

  it("recognises Fernet and JWE tokens made by the Python libraries", (t) => {
    const py = ensurePython({ cryptography: "cryptography", jwcrypto: "jwcrypto" });
    if (!py.ok) return skipOrFail(t, py.reason);
    const fernet = python(
      'from cryptography.fernet import Fernet; print(Fernet(Fernet.generate_key()).encrypt(b\'{"user": "alice"}\').decode())',
    );
    const jwes = python(
      [
        "import json; from jwcrypto import jwk, jwe",
        "for alg, enc, size in (('dir', 'A256GCM', 256), ('A128KW', 'A128CBC-HS256', 128)):",
        "    t = jwe.JWE(b'{\"user\": \"alice\"}', json.dumps({'alg': alg, 'enc': enc}))",
        "    t.add_recipient(jwk.JWK.generate(kty='oct', size=size)); print(t.serialize(compact=True))",
      ].join("\n"),
    ).split("\n");
    assert.equal(recogniseSealed(fernet), "fernet");
    assert.equal(recogniseSealed(decodeURIComponent(encodeURIComponent(fernet))), "fernet");
    for (const token of jwes) assert.equal(recogniseSealed(token), "jwe", token);
  });

  it("leaves random ids, signed formats and look-alikes alone", () => {
    const lookAlikes = [
      randomBytes(32).toString("hex"),
      randomBytes(32).toString("base64url"),
      `gAAAAA${randomBytes(40).toString("base64url")}`, // no 0x80 structure of the right size
      `CfDJ8${randomBytes(8).toString("base64url")}`, // too short for a protected payload
      "Fe26.2*1*salt", // too few parts
      `${b64url('{"alg":"HS256"}')}.${b64url("{}")}.sig`, // a JWS, not a JWE
      `${b64url('{"alg":"HS256"}')}.a.b.c.d`, // five parts, but no "enc"
      `${randomBytes(20).toString("base64")}--${randomBytes(20).toString("base64")}`,
    ];
    for (const value of lookAlikes) assert.equal(recogniseSealed(value), undefined, value);
  });

  it("passive audit: named as a sealed session, no readable-data or weak-secret finding", () => {
    const values: [string, string][] = [
      ["iron-session (Fe26.2 iron seal)", iron],
      ["JWE (encrypted JWT)", handBuiltJwe({ sub: "1" })],
      ["Rails encrypted cookie", handBuiltRailsGcm({ user_id: 7 })],
      ["ASP.NET Core Data Protection payload", handBuiltDataProtection()],
    ];
    for (const [label, value] of values) {
      // Named "prefs" so only the value can make it a session cookie.
      const obs = observations(HTTPS, [
        response(HTTPS, [`prefs=${value}; Path=/; HttpOnly; SameSite=Lax`], GOOD_HEADERS),
      ]);
      const { findings } = analyze(obs, { candidates: bundledCandidates() });
      const ids = findings.map((f) => f.id);
      assert.ok(!ids.includes("session-data-readable"), label);
      assert.ok(!ids.includes("session-secret-weak"), label);
      const secure = findings.find((f) => f.id === "cookie-missing-secure");
      assert.equal(secure?.severity, "high", label);
      assert.ok(secure?.evidence.includes(`a sealed session: ${label}`), secure?.evidence);
    }
  });
});
