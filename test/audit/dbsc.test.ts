// The auditor's DBSC checks: after `--login`, does the site offer Device Bound Session Credentials
// (`Secure-Session-Registration` on the login exchange), and would a browser accept the offer?
// Real apps over real HTTP: latchkey without and with its `deviceBound` option, and a hand-rolled
// login sending hostile headers. The header parser itself is measured in CPU time.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { dbscVerdict } from "../../packages/latchkey-cli/src/audit/dbsc-check.ts";
import {
  MAX_REGISTRATION_HEADER,
  parseRegistrationHeader,
} from "../../packages/latchkey-cli/src/audit/dbsc-header.ts";
import type { FetchedResponse } from "../../packages/latchkey-cli/src/audit/fetch.ts";
import { startDbscHeaderLogin } from "../fixtures/audit/apps/dbsc-header-login.ts";
import { startLatchkeyDbsc } from "../fixtures/audit/apps/latchkey-dbsc.ts";
import { startLatchkeyLogin } from "../fixtures/audit/apps/latchkey-login.ts";
import { type JsonFinding, runCli } from "./harness.ts";

const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;
const LATCHKEY_DESCRIPTION = fileURLToPath(
  new URL("../fixtures/audit/active/latchkey.json", import.meta.url),
);

interface Report {
  findings: JsonFinding[];
  skipped: { check: string; reason: string }[];
  steps: { check: string; sent: string; received: string; note?: string }[];
}

let dir: string;
let plainDescription: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "latchkey-dbsc-audit-"));
  plainDescription = join(dir, "login.json");
  await writeFile(
    plainDescription,
    JSON.stringify({
      login: { url: "/login", form: { username: "alice", password: { env: "AUDIT_PASSWORD" } } },
      loggedIn: { url: "/account", status: 200, text: "Signed in as alice" },
      logout: { url: "/logout", method: "POST" },
    }),
  );
});
after(() => rm(dir, { recursive: true, force: true }));

async function audit(url: string, description: string, ...extra: string[]) {
  const run = await runCli(
    ["audit", url, "--login", description, "--samples", "20", "--rate", "200", ...extra],
    { env: { AUDIT_PASSWORD: PASSWORD } },
  );
  return run;
}

async function auditJson(url: string, description: string): Promise<Report> {
  const run = await audit(url, description, "--json");
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

const ids = (report: Report) => report.findings.map((f) => f.id);

describe("audit --login: DBSC offered after login?", () => {
  it("a latchkey app without deviceBound: dbsc-not-offered (info) with latchkey's fix", async () => {
    const app = await startLatchkeyLogin({ password: PASSWORD });
    try {
      const report = await auditJson(app.url, LATCHKEY_DESCRIPTION);
      const found = report.findings.filter((f) => f.id === "dbsc-not-offered");
      assert.equal(found.length, 1);
      const [finding] = found;
      assert.equal(finding!.severity, "info");
      assert.equal(finding!.cookie, "__Host-session");
      assert.match(finding!.evidence, /no Secure-Session-Registration header/);
      assert.match(finding!.evidence, /\/login \(302\), \/account \(200\)/);
      assert.match(finding!.fix, /deviceBound/);
      assert.match(finding!.fix, /docs\/dbsc\.md/);
      assert.ok(!report.steps.some((s) => s.check === "dbsc"));
      assert.ok(!ids(report).includes("dbsc-registration-invalid"));
    } finally {
      await app.close();
    }
  });

  it("a latchkey app with deviceBound: the offer is recognised, no DBSC finding", async () => {
    const app = await startLatchkeyDbsc({ password: PASSWORD });
    try {
      const report = await auditJson(app.url, LATCHKEY_DESCRIPTION);
      assert.ok(!ids(report).some((id) => id.startsWith("dbsc-")), ids(report).join(", "));
      const step = report.steps.find((s) => s.check === "dbsc");
      assert.ok(step, "a dbsc step");
      assert.equal(step.received, "Secure-Session-Registration on /login");
      assert.equal(step.note, "DBSC offered: ES256 RS256, registration at /dbsc/register");
      // The one-time challenge is the site's nonce: it never reaches the report.
      assert.doesNotMatch(JSON.stringify(report), /challenge=/);
    } finally {
      await app.close();
    }
  });

  it("a passive run lists the check as skipped, with why", async () => {
    const app = await startLatchkeyDbsc({ password: PASSWORD });
    try {
      const run = await runCli(["audit", app.url, "--json"]);
      const report = JSON.parse(run.stdout) as Report;
      const skip = report.skipped.find((s) => s.check === "dbsc-not-offered");
      assert.ok(skip);
      assert.match(skip.reason, /no --login/);
      assert.ok(!ids(report).some((id) => id.startsWith("dbsc-")));
    } finally {
      await app.close();
    }
  });

  it("--explain dbsc-not-offered: standard, how it is tested, the fix per framework", async () => {
    const run = await runCli(["audit", "--explain", "dbsc-not-offered"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /severity {2}info/);
    assert.match(run.stdout, /Device Bound Session Credentials/);
    assert.match(run.stdout, /latchkey: Turn on the deviceBound option/);
  });
});

describe("audit --login: registration headers a browser would ignore", () => {
  const cases: [string, string, RegExp][] = [
    [
      "no supported algorithm",
      '(HS256 EdDSA);path="/r";challenge="c1"',
      /no algorithm Chrome supports \(ES256, RS256\) in \(HS256 EdDSA\)/,
    ],
    ["no path", '(ES256 RS256);challenge="c1"', /no path parameter/],
    [
      "a number as authorization",
      '(ES256);path="/r";authorization=7',
      /authorization is not a quoted string/,
    ],
    ["a token path", '(ES256);path=register;challenge="c1"', /path is not a quoted string/],
    ["a bare token", 'ES256;path="/r";challenge="c1"', /not an inner list/],
    [
      "unbalanced parentheses",
      '((ES256 RS256;path="/r";challenge="c1"',
      /not a structured-field list/,
    ],
    [
      "a path on another origin",
      '(ES256);path="https://elsewhere.example/r";challenge="c1"',
      /is not a URL on the site/,
    ],
    [
      "over the size cap",
      `(ES256);path="/r";challenge="${"c".repeat(12_000)}"`,
      new RegExp(`longer than ${MAX_REGISTRATION_HEADER} characters`),
    ],
  ];
  for (const [name, header, evidence] of cases)
    it(`${name}: dbsc-registration-invalid (low)`, async () => {
      const app = await startDbscHeaderLogin({ password: PASSWORD, header });
      try {
        const report = await auditJson(app.url, plainDescription);
        const found = report.findings.filter((f) => f.id.startsWith("dbsc-"));
        assert.deepEqual(
          found.map((f) => `${f.severity} ${f.id}`),
          ["low dbsc-registration-invalid"],
        );
        assert.match(found[0]!.evidence, evidence);
        assert.match(found[0]!.fix, /inner list of ES256 and\/or RS256/);
      } finally {
        await app.close();
      }
    });

  it("a valid hand-written offer among junk members is recognised", async () => {
    const app = await startDbscHeaderLogin({
      password: PASSWORD,
      header: '(HS256);path="/x", (ES256);path="/dbsc/start";challenge="c1";extra=?1',
    });
    try {
      const report = await auditJson(app.url, plainDescription);
      assert.ok(!ids(report).some((id) => id.startsWith("dbsc-")));
      const step = report.steps.find((s) => s.check === "dbsc");
      assert.equal(step?.note, "DBSC offered: ES256, registration at /dbsc/start");
    } finally {
      await app.close();
    }
  });

  it("an offer without a challenge is recognised (Chrome registers without one), and said", async () => {
    const app = await startDbscHeaderLogin({
      password: PASSWORD,
      header: '(RS256);path="register"',
    });
    try {
      const report = await auditJson(app.url, plainDescription);
      assert.ok(!ids(report).some((id) => id.startsWith("dbsc-")));
      const step = report.steps.find((s) => s.check === "dbsc");
      assert.equal(
        step?.note,
        "DBSC offered: RS256, registration at register, without a challenge",
      );
    } finally {
      await app.close();
    }
  });

  it("a C1 control character (CSI) in the header: invalid, and the terminal report stays clean", async () => {
    // U+009B is one latin1 byte, which HTTP parsers pass through as obs-text.
    const header = '(ES256\x9b2J);path="/r\x9b2J";challenge="c1"';
    const app = await startDbscHeaderLogin({ password: PASSWORD, header });
    try {
      const run = await audit(app.url, plainDescription);
      assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
      assert.match(run.stdout, /dbsc-registration-invalid/);
      assert.match(
        run.stdout,
        /not a structured-field list: expected a space or \) in the inner list/,
      );
      assert.doesNotMatch(run.stdout, /\x9b/);
    } finally {
      await app.close();
    }
  });

  for (const [name, header] of [
    ["ESC (a C0 control)", '(ES256);path="/r\x1b[2J";challenge="c1"'],
    ["100 KB", `(ES256);path="/r";challenge="${"x".repeat(100_000)}"`],
  ])
    it(`${name} in the header: the HTTP client refuses the response; exit 2 with a message, no crash`, async () => {
      const app = await startDbscHeaderLogin({ password: PASSWORD, header });
      try {
        const run = await audit(app.url, plainDescription);
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, /^latchkey audit: cannot reach http:\/\/127\.0\.0\.1:\d+\/: HPE_/);
        assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
        // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for a raw ESC
        assert.doesNotMatch(run.stderr + run.stdout, /\x1b/);
      } finally {
        await app.close();
      }
    });
});

describe("the registration header parser on hostile input", () => {
  it("reads what latchkey's deviceBound emits, keeping only the challenge's length", () => {
    const parsed = parseRegistrationHeader(
      '(ES256 RS256);path="/dbsc/register";challenge="abc\\"d"',
    );
    assert.deepEqual(parsed, {
      ok: true,
      members: 1,
      offers: [
        {
          algorithms: ["ES256", "RS256"],
          innerList: true,
          path: "/dbsc/register",
          challengeLength: 5,
          wrongTypes: [],
        },
      ],
    });
  });

  it("refuses malformed lists and never throws", () => {
    for (const header of [
      "",
      "(",
      "(ES256",
      "(ES256))",
      '(ES256);path="/r',
      '(ES256);path="\\x"',
      "(ES256);PATH=1",
      "(ES256),",
      "(ES256) junk",
      '(ES256);path="/r\u0000"',
      '(ES256);path="/r\u00e9"',
      "\u0000\u0001\u001b[2J",
      "(".repeat(5000),
      ")".repeat(5000),
      '"'.repeat(5000),
      "(ES256);a=1.2345",
      "(ES256);a=1234567890123456",
    ]) {
      const parsed = parseRegistrationHeader(header);
      assert.equal(parsed.ok, false, JSON.stringify(header.slice(0, 40)));
    }
    // A hostile header is never echoed: the reason names the fault and a position.
    const parsed = parseRegistrationHeader('(ES256);path="\u001b[2J"');
    assert.ok(!parsed.ok);
    assert.ok(!parsed.reason.includes("\u001b"));
  });

  it("100 KB and 10,000 parameters are refused by the size cap before any parsing", () => {
    for (const header of [
      `(ES256);path="/r";challenge="${"x".repeat(100_000)}"`,
      `(ES256);path="/r";challenge="c"${";a".repeat(10_000)}`,
      `(${"ES256 ".repeat(20_000)})`,
    ]) {
      const started = process.cpuUsage();
      const parsed = parseRegistrationHeader(header);
      const used = process.cpuUsage(started);
      assert.deepEqual(parsed, {
        ok: false,
        reason: `longer than ${MAX_REGISTRATION_HEADER} characters`,
      });
      assert.ok(used.user + used.system < 50_000, `${used.user + used.system} µs`);
    }
  });

  it("parses in linear time up to the cap (CPU time, 4x the input costs well under 16x)", () => {
    const cost = (parameters: number) => {
      const header = `(ES256 RS256);path="/r";challenge="c"${';a="\\\\"'.repeat(parameters)}`;
      assert.ok(header.length <= MAX_REGISTRATION_HEADER);
      const parsed = parseRegistrationHeader(header);
      assert.ok(parsed.ok);
      const started = process.cpuUsage();
      for (let i = 0; i < 200; i++) parseRegistrationHeader(header);
      const used = process.cpuUsage(started);
      return used.user + used.system;
    };
    cost(100); // warm-up
    const small = Math.max(cost(200), 1);
    const large = cost(800);
    assert.ok(large / small < 10, `200 params: ${small} µs, 800 params: ${large} µs`);
  });

  const at = (url: string, header: string): FetchedResponse => ({
    url,
    status: 302,
    headers: { "secure-session-registration": header },
    setCookies: [],
    body: "",
  });

  it("the registration URL must be secure and same-site, as Chrome resolves it", () => {
    const problems = (url: string, header: string) => {
      const verdict = dbscVerdict([at(url, header)]);
      return verdict.offered ? "offered" : verdict.headers[0]!.problems.join("; ");
    };
    // Plain http is secure only on localhost.
    assert.match(
      problems("http://shop.example/login", '(ES256);path="/r";challenge="c"'),
      /registration URL http:\/\/shop\.example\/r is neither https nor localhost/,
    );
    assert.equal(problems("http://localhost:8080/login", '(ES256);path="/r"'), "offered");
    // Same site: a sibling subdomain is fine, another site or another scheme is not.
    assert.equal(
      problems("https://www.shop.example/login", '(ES256);path="https://auth.shop.example/r"'),
      "offered",
    );
    assert.match(
      problems("https://www.shop.example/login", '(ES256);path="https://evil.example/r"'),
      /is not a URL on the site/,
    );
    assert.match(
      problems("https://www.shop.example/login", '(ES256);path="http://www.shop.example/r"'),
      /is not a URL on the site/,
    );
    // Percent-escapes are decoded before resolving, as Chrome does.
    assert.match(
      problems("https://shop.example/login", '(ES256);path="https%3A%2F%2Fevil.example%2Fr"'),
      /is not a URL on the site/,
    );
    // The last of repeated parameters wins (RFC 9651).
    assert.equal(problems("https://shop.example/a", '(ES256);path=1;path="/r"'), "offered");
    assert.match(
      problems("https://shop.example/a", '(ES256);path="/r";path=1'),
      /path is not a quoted string/,
    );
  });

  it("many list members: only the first 16 are kept, the rest counted", () => {
    const header = Array.from({ length: 1000 }, () => "(HS256)").join(",");
    const parsed = parseRegistrationHeader(header);
    assert.ok(parsed.ok);
    assert.equal(parsed.members, 1000);
    assert.equal(parsed.offers.length, 16);
    const verdict = dbscVerdict([at("https://site.example/login", header)]);
    assert.equal(verdict.offered, false);
    if (!verdict.offered)
      assert.match(verdict.headers[0]!.problems.join("; "), /984 more list members, not read/);
  });
});
