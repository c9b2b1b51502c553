// Strings from the audited site (cookie names, URLs, header values, evidence) and from a linted
// tree (file names) reach the terminal escaped, never as raw control or bidi characters; JSON
// keeps them exactly. Credentials read from the environment appear nowhere.
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import type { LoginDescription } from "../../packages/latchkey-cli/src/audit/login-description.ts";
import {
  environmentSecrets,
  scrubReport,
} from "../../packages/latchkey-cli/src/audit/secret-values.ts";
import type { Report } from "../../packages/latchkey-cli/src/report/finding.ts";
import { formatJson } from "../../packages/latchkey-cli/src/report/json.ts";
import { formatPretty } from "../../packages/latchkey-cli/src/report/pretty.ts";
import { escapeForTerminal } from "../../packages/latchkey-cli/src/report/terminal-text.ts";
import { runCli } from "./harness.ts";

// ESC, CSI as one C1 byte, BEL, NUL, DEL, NEL, CR, right-to-left override, isolate, line separator.
const HOSTILE = [
  "\u001b",
  "\u009b",
  "\u0007",
  "\u0000",
  "\u007f",
  "\u0085",
  "\r",
  "\u202e",
  "\u2066",
  "\u2028",
];
const hostile = (label: string) => `${label}${HOSTILE.join("x")}[2J`;

function assertClean(text: string, where: string) {
  for (const c of HOSTILE)
    assert.ok(
      !text.includes(c),
      `${where} contains raw U+${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

describe("escapeForTerminal", () => {
  it("shows each steering character as an escape and leaves other text alone", () => {
    const table: [string, string][] = [
      ["plain text, ünïcødé, 日本語, emoji 🍪", "plain text, ünïcødé, 日本語, emoji 🍪"],
      ["a\u001b[2Jb", "a\\x1b[2Jb"],
      ["\u009b31m", "\\x9b31m"],
      ["tab\tnew\nline\r", "tab\\x09new\\x0aline\\x0d"],
      ["del\u007f nel\u0085", "del\\x7f nel\\x85"],
      ["file\u202etxt.exe", "file\\u202etxt.exe"],
      [
        "\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029",
        "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029",
      ],
    ];
    for (const [input, expected] of table) assert.equal(escapeForTerminal(input), expected, input);
  });
});

describe("the pretty report escapes, JSON stays exact", () => {
  const report: Report = {
    target: hostile("https://target.example/"),
    findings: [
      {
        id: "cookie-missing-httponly",
        severity: "high",
        title: "Cookie readable by JavaScript (no HttpOnly)",
        url: hostile("https://target.example/page"),
        cookie: hostile("sess"),
        evidence: hostile("Set-Cookie: "),
        standard: "ASVS 5.0 3.3.4",
        fix: "Add HttpOnly.",
      },
      {
        id: "session-secret-hardcoded",
        severity: "high",
        title: "Session secret is hard-coded in source",
        evidence: hostile("SECRET_KEY = "),
        fix: "Read it from the environment.",
        location: { file: hostile("app/settings"), line: 3, column: 1 },
      },
    ],
    steps: [
      {
        check: "login",
        sent: hostile("POST /login "),
        received: hostile("302 "),
        note: hostile(""),
      },
    ],
  };

  it("no raw control, C1 or bidi character reaches the terminal, with or without colour", () => {
    for (const color of [false, true]) {
      const text = formatPretty(report, { color });
      // Colour codes are ours; strip exactly those before looking for anything else.
      const ours = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
      assertClean(color ? text.replace(ours, "") : text, `pretty (color ${color})`);
      assert.match(text, /sess\\x1bx\\x9b/);
      assert.match(text, /app\/settings\\x1b/);
    }
  });

  it("JSON round-trips every string exactly", () => {
    const parsed = JSON.parse(formatJson(report));
    assert.equal(parsed.target, report.target);
    assert.equal(parsed.findings[0].cookie, report.findings[0]!.cookie);
    assert.equal(parsed.findings[0].url, report.findings[0]!.url);
    assert.equal(parsed.findings[0].evidence, report.findings[0]!.evidence);
    assert.equal(parsed.findings[1].location.file, report.findings[1]!.location!.file);
    assert.deepEqual(parsed.steps, report.steps);
  });
});

describe("a hostile site, audited for real", () => {
  let server: Server;
  let url: string;
  before(async () => {
    // A raw socket: Node's own HTTP server would refuse to send these bytes.
    server = createServer((socket) => {
      socket.once("data", () => {
        const body = Buffer.from(
          `<html><a href="/\u202eevil\u001b[31m/cart;jsessionid=ABCDEF0123456789">x</a>` +
            `<script src="https://cdn.example.net/\u202e.js"></script></html>`,
        );
        const head = Buffer.concat([
          Buffer.from("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n", "latin1"),
          // 0x9b is CSI in one byte; Node reads header bytes as latin1, so it arrives as U+009B.
          Buffer.from("set-cookie: ses\x9b2Jsion=v\x9b31malue; Path=/\r\n", "latin1"),
          Buffer.from(
            "content-security-policy: script-src 'unsafe-inline' \x9b2J\x85\r\n",
            "latin1",
          ),
          Buffer.from(`content-length: ${body.length}\r\nconnection: close\r\n\r\n`, "latin1"),
        ]);
        socket.end(Buffer.concat([head, body]));
      });
      socket.on("error", () => {});
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());

  it("pretty output and progress carry no raw bytes; --json keeps them exactly", async () => {
    const pretty = await runCli(["audit", url, "--max-pages", "1", "--fail-on", "critical"]);
    assert.equal(pretty.status, 0, pretty.stderr);
    assertClean(pretty.stdout, "stdout");
    assertClean(pretty.stderr, "stderr");
    assert.match(pretty.stdout, /ses\\x9b2Jsion/);
    assert.match(pretty.stdout, /\\u202eevil\\x1b\[31m/);

    const json = await runCli([
      "audit",
      url,
      "--max-pages",
      "1",
      "--json",
      "--fail-on",
      "critical",
    ]);
    const findings: { id: string; cookie?: string; evidence: string }[] = JSON.parse(
      json.stdout,
    ).findings;
    assert.ok(findings.some((f) => f.cookie === "ses\u009b2Jsion"));
    assert.ok(
      findings.some(
        (f) => f.id === "session-id-in-url" && f.evidence.includes("/\u202eevil\u001b[31m"),
      ),
    );
    assert.ok(
      findings.some((f) => f.id === "csp-unsafe-inline" && f.evidence.includes("\u009b2J\u0085")),
    );
  });
});

describe("credentials from the environment", () => {
  const description: LoginDescription = {
    login: {
      url: "/login",
      method: "POST",
      form: { username: { env: "APP_USER" }, password: { env: "APP_PASSWORD" }, remember: "1" },
      headers: { authorization: { env: "APP_TOKEN" } },
    },
    loggedIn: { url: "/account" },
    logout: { url: "/logout", method: "POST" },
  };
  const env = {
    APP_USER: "alice.admin",
    APP_PASSWORD: "hunter2 &secret",
    APP_TOKEN: "Bearer s3cr3t-t0ken",
  };

  it("every string of the report is searched for them, also URL-encoded", () => {
    const secrets = environmentSecrets(description, env);
    assert.deepEqual(secrets.map((s) => s.name).sort(), ["APP_PASSWORD", "APP_TOKEN", "APP_USER"]);
    const report: Report = {
      target: "https://app.example/",
      findings: [
        {
          id: "session-fixation",
          severity: "high",
          title: "Session id not replaced at login",
          url: "https://app.example/welcome?u=alice.admin",
          evidence: `the page said "wrong password hunter2%20%26secret" to alice.admin`,
          fix: "Rotate.",
        },
      ],
      steps: [
        {
          check: "login",
          sent: "POST /login · authorization: Bearer s3cr3t-t0ken",
          received: "302 → /welcome?u=alice.admin",
        },
      ],
    };
    const out =
      formatJson(scrubReport(report, secrets)) +
      formatPretty(scrubReport(report, secrets), { color: false });
    for (const value of Object.values(env)) {
      assert.ok(!out.includes(value), value);
      assert.ok(!out.includes(encodeURIComponent(value)), value);
    }
    assert.match(out, /\(value of \$APP_USER\)/);
    assert.match(out, /wrong password \(value of \$APP_PASSWORD\)/);
  });
});
