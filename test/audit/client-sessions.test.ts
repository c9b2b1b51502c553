// session-data-readable and session-secret-weak for every client-side format, and the time the
// bundled wordlist takes per cookie.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import cookieSession from "cookie-session";
import express from "express";
import { signFlaskSession } from "../../packages/latchkey/src/flask/index.ts";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import {
  bundledCandidates,
  findSecret,
  parseWordlist,
  signedCookieFor,
} from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import { GOOD_HEADERS, observations, response } from "./fixtures.ts";
import { runCli } from "./harness.ts";

const HTTPS = "https://app.example.com/";
const STRONG = "f3a9c1d7e5b2…not in any list…8e4d6c0a";
const ATTRS = "Path=/; Secure; HttpOnly; SameSite=Lax";

const b64url = (s: string) => Buffer.from(s).toString("base64url");
function jwt(payload: object, secret: string, alg = "HS256"): string {
  const signed = `${b64url(JSON.stringify({ alg, typ: "JWT" }))}.${b64url(JSON.stringify(payload))}`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg]!;
  return `${signed}.${createHmac(hash, secret).update(signed).digest("base64url")}`;
}
function expressSigned(value: string, secret: string): string {
  const sig = createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "");
  return encodeURIComponent(`s:${value}.${sig}`);
}
function keygripPair(name: string, value: string, key: string): string[] {
  const sig = createHmac("sha1", key).update(`${name}=${value}`).digest("base64url");
  return [`${name}=${value}; ${ATTRS}`, `${name}.sig=${sig}; ${ATTRS}`];
}

function findingsFor(setCookies: string[], wordlist: Buffer[] = []) {
  const obs = observations(HTTPS, [response(HTTPS, setCookies, GOOD_HEADERS)]);
  return analyze(obs, { candidates: [...bundledCandidates(), ...wordlist] }).findings.filter((f) =>
    f.id.startsWith("session-"),
  );
}
const summary = (fs: ReturnType<typeof findingsFor>) =>
  fs.map((f) => `${f.severity} ${f.id} ${f.cookie}`).sort();

describe("client-side sessions", () => {
  const flaskWeak = signFlaskSession(
    { user_id: 1, role: "admin" },
    { secretKey: "you-will-never-guess" },
  );
  const flaskStrong = signFlaskSession({ user_id: 1 }, { secretKey: STRONG });
  const cases: [string, string[], string[], RegExp?][] = [
    [
      "Flask, weak secret",
      [`session=${flaskWeak}; ${ATTRS}`],
      ["critical session-secret-weak session", "medium session-data-readable session"],
      /"role", "user_id"/,
    ],
    [
      "Flask, strong secret",
      [`session=${flaskStrong}; ${ATTRS}`],
      ["medium session-data-readable session"],
    ],
    [
      "Flask docs' bytes key",
      [
        `session=${signFlaskSession({ a: 1 }, { secretKey: Buffer.from('_5#y2L"F4Q8z\n\xec]/', "latin1") })}; ${ATTRS}`,
      ],
      ["critical session-secret-weak session", "medium session-data-readable session"],
    ],
    [
      "JWT HS256, weak",
      [`token=${jwt({ sub: "42", email: "a@b.c" }, "your-256-bit-secret")}; ${ATTRS}`],
      ["critical session-secret-weak token", "medium session-data-readable token"],
      /"sub", "email"/,
    ],
    [
      "JWT HS512, strong",
      [`jwt=${jwt({ sub: "42" }, STRONG, "HS512")}; ${ATTRS}`],
      ["medium session-data-readable jwt"],
    ],
    [
      "express-session, weak",
      [
        `connect.sid=${expressSigned("AbCdEfGhIjKlMnOpQrStUvWxYz012345", "keyboard cat")}; ${ATTRS}`,
      ],
      // express-session's cookie is a signed id into server-side state: the secret signs the id only.
      ["medium session-secret-weak connect.sid"],
    ],
    [
      "express-session, strong",
      [`connect.sid=${expressSigned("AbCdEfGhIjKlMnOpQrStUvWxYz012345", STRONG)}; ${ATTRS}`],
      [],
    ],
    [
      "cookie-session, weak",
      keygripPair("session", b64url(JSON.stringify({ userId: 9 })), "secret"),
      ["critical session-secret-weak session", "medium session-data-readable session"],
      /"userId"/,
    ],
    [
      "cookie-session, strong",
      keygripPair("session", b64url(JSON.stringify({ userId: 9 })), STRONG),
      ["medium session-data-readable session"],
    ],
  ];
  for (const [name, cookies, expected, evidence] of cases) {
    it(name, () => {
      const found = findingsFor(cookies);
      assert.deepEqual(summary(found), expected);
      if (evidence)
        assert.match(found.find((f) => f.id === "session-data-readable")!.evidence, evidence);
    });
  }

  it("--wordlist secrets are tried too", () => {
    const cookie = `session=${signFlaskSession({ a: 1 }, { secretKey: "company-internal-2019" })}; ${ATTRS}`;
    assert.deepEqual(summary(findingsFor([cookie])), ["medium session-data-readable session"]);
    const words = parseWordlist("first\r\ncompany-internal-2019\n\n");
    assert.deepEqual(summary(findingsFor([cookie], words)), [
      "critical session-secret-weak session",
      "medium session-data-readable session",
    ]);
  });

  it("Django signed cookies written by real Django: readable, and the weak key found", (t) => {
    const python = ensurePython({ django: "django" });
    if (!python.ok) return skipOrFail(t, `python3/Django not reachable: ${python.reason}`);
    const script = `
from django.conf import settings; settings.configure(SECRET_KEY="x")
from django.core import signing
salt = "django.contrib.sessions.backends.signed_cookies"
print(signing.dumps({"user_id": 7, "cart": "x" * 80}, key="changeme", salt=salt, compress=True))
print(signing.dumps({"user_id": 7}, key="${STRONG}", salt=salt, compress=True))`;
    const run = spawnSync("python3", ["-c", script], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const [weak, strong] = run.stdout.trim().split("\n");
    assert.ok(weak!.startsWith("."), "expected a compressed cookie");
    assert.deepEqual(summary(findingsFor([`sessionid=${weak}; ${ATTRS}`])), [
      "critical session-secret-weak sessionid",
      "medium session-data-readable sessionid",
    ]);
    assert.deepEqual(summary(findingsFor([`sessionid=${strong}; ${ATTRS}`])), [
      "medium session-data-readable sessionid",
    ]);
  });

  it("a real cookie-session app with a weak key", async () => {
    const app = express();
    app.use(cookieSession({ name: "session", keys: ["secret"] }));
    app.get("/", (req, res) => {
      // Typed locally: latchkey's own Express adapter claims `req.session` in this compilation.
      (req as unknown as { session: { userId?: number } }).session.userId = 9;
      res.send("<html><body>hi</body></html>");
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const run = await runCli(["audit", url, "--json"]);
      const found = JSON.parse(run.stdout).findings as {
        id: string;
        severity: string;
        severityReason?: string;
        cookie?: string;
        fix: string;
      }[];
      const ids = found
        .filter((f) => f.id.startsWith("session-"))
        .map((f) => `${f.severity} ${f.id} ${f.cookie}`);
      assert.deepEqual(ids.sort(), [
        "critical session-secret-weak session",
        "medium session-data-readable session",
      ]);
      const weak = found.find((f) => f.id === "session-secret-weak")!;
      assert.match(weak.fix, /cookieSession\(\{ keys/);
      // cookie-session keeps the whole session in the cookie: its key is the session.
      assert.match(
        weak.severityReason ?? "",
        /^signed client-side data \(cookie-session\): the secret IS the session/,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("the bundled list runs in well under a second per cookie (worst case: no hit)", () => {
    const candidates = bundledCandidates();
    const cookies: [string, string][] = [
      ["session", flaskStrong],
      ["token", jwt({ sub: "1" }, STRONG)],
      ["connect.sid", expressSigned("AbCdEfGhIjKlMnOpQrStUvWxYz012345", STRONG)],
      ["sessionid", "eyJ1c2VyX2lkIjo3fQ:1xUqve:z_5qykONGsBeGwmOfprrjW3OsDaVjCHpHaRf_nyKX0M"],
      ["remember_token", `alice|${createHmac("sha512", STRONG).update("alice").digest("hex")}`],
      ["cs", "eyJ1IjoxfQ=="],
    ];
    const jar = new Map([
      ["cs.sig", createHmac("sha1", STRONG).update("cs=eyJ1IjoxfQ==").digest("base64url")],
    ]);
    for (const [name, value] of cookies) {
      const signed = signedCookieFor(name, value, jar);
      assert.ok(signed !== undefined, name);
      // CPU time, not wall time: a loaded machine stretches the wall clock, not the work done.
      const start = process.cpuUsage();
      assert.equal(findSecret(signed, candidates), undefined);
      const used = process.cpuUsage(start);
      const ms = (used.user + used.system) / 1000;
      console.log(
        `  ${signed.format}: ${candidates.length} candidates in ${ms.toFixed(1)} ms of CPU`,
      );
      assert.ok(ms < 1000, `${signed.format} took ${ms} ms of CPU`);
    }
  });
});
