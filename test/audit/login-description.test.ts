// The login description (`--login login.json`): what it accepts, the errors it gives (exit 2),
// credentials from the environment, and that the active checks never leave the target's origin.
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { inventLike } from "../../packages/latchkey-cli/src/audit/fixation-checks.ts";
import {
  checkEnvironment,
  checkSameOrigin,
  parseLoginDescription,
} from "../../packages/latchkey-cli/src/audit/login-description.ts";
import { inputValue } from "../../packages/latchkey-cli/src/audit/login-flow.ts";
import { isCliError } from "../../packages/latchkey-cli/src/errors.ts";
import { runCli } from "./harness.ts";

const MINIMAL = {
  login: { url: "/login", form: { username: "alice", password: { env: "PW" } } },
  loggedIn: { url: "/account", text: "Signed in" },
  logout: { url: "/logout" },
};
const withChange = (change: (d: Record<string, unknown>) => void) => {
  const d = structuredClone(MINIMAL) as unknown as Record<string, unknown>;
  change(d);
  return JSON.stringify(d);
};

describe("parseLoginDescription", () => {
  it("reads the minimal description, with POST as the default method", () => {
    const d = parseLoginDescription(JSON.stringify(MINIMAL));
    assert.equal(d.login.method, "POST");
    assert.deepEqual(d.login.form, { username: "alice", password: { env: "PW" } });
    assert.equal(d.logout.method, "POST");
  });

  it("reads every shipped example", () => {
    const dir = fileURLToPath(new URL("../fixtures/audit/active/", import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")))
      parseLoginDescription(readFileSync(join(dir, file), "utf8"));
  });

  const errors: [string, string, RegExp][] = [
    ["not JSON", "{", /not valid JSON/],
    ["no login", JSON.stringify({ ...MINIMAL, login: undefined }), /login is missing/],
    ["no loggedIn", withChange((d) => delete d.loggedIn), /loggedIn is missing/],
    ["unknown field", withChange((d) => (d.extra = 1)), /unknown field "extra"/],
    [
      "bad method",
      withChange((d) => ((d.login as { method: string }).method = "FETCH")),
      /login\.method must be one of/,
    ],
    [
      "form and json",
      withChange((d) => ((d.login as { json: object }).json = {})),
      /both "form" and "json"/,
    ],
    [
      "bad value",
      withChange((d) => ((d.login as { form: object }).form = { password: { file: "x" } })),
      /login\.form\.password must be/,
    ],
    [
      "two token sources",
      withChange((d) => ((d.login as { csrf: object }).csrf = { input: "a", cookie: "b" })),
      /exactly one of "input", "regex" or "cookie"/,
    ],
    [
      "regex without a group",
      withChange((d) => ((d.login as { csrf: object }).csrf = { regex: "token=\\w+", field: "t" })),
      /capture group/,
    ],
    [
      "logout token without a page",
      withChange((d) => (d.logout = { url: "/logout", form: {}, csrf: { input: "csrf_token" } })),
      /logout\.csrf\.page is needed/,
    ],
    [
      "GET csrf probe",
      withChange((d) => (d.csrfProbe = { url: "/x", method: "GET" })),
      /state-changing method/,
    ],
    [
      "bad status",
      withChange((d) => ((d.loggedIn as { status: number }).status = 99)),
      /loggedIn\.status must be an HTTP status/,
    ],
  ];
  for (const [name, text, message] of errors) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseLoginDescription(text),
        (error: unknown) => {
          assert.ok(isCliError(error, "input"), String(error));
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it("names an unset environment variable, never a value", () => {
    const d = parseLoginDescription(JSON.stringify(MINIMAL));
    assert.throws(
      () => checkEnvironment(d, {}),
      /login\.form\.password reads the environment variable PW, which is not set/,
    );
    checkEnvironment(d, { PW: "x" });
  });

  it("refuses URLs off the target's origin", () => {
    const d = parseLoginDescription(
      withChange((d) => ((d.logout as { url: string }).url = "https://elsewhere.example/logout")),
    );
    assert.throws(
      () => checkSameOrigin(d, new URL("http://127.0.0.1:8000/")),
      /logout\.url \(https:\/\/elsewhere\.example\) is not on the target's origin/,
    );
  });

  it("throws nothing but an input CliError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseLoginDescription(JSON.stringify(value));
        } catch (error) {
          assert.ok(isCliError(error, "input"), String(error));
        }
      }),
    );
  });
});

describe("token pick-up and invented ids", () => {
  it("reads input values and meta contents, in any attribute order and quoting", () => {
    const html = `<form><input type=hidden value='a&amp;b' name="csrf_token"><meta content="m1" name="csrf-token"></form>`;
    assert.equal(inputValue(html, "csrf_token"), "a&b");
    assert.equal(inputValue(html, "csrf-token"), "m1");
    assert.equal(inputValue(html, "other"), undefined);
  });

  it("invents values of the same shape, never the sample itself", () => {
    const sample = "s%3AAbc123-_xyz.SIG";
    const invented = inventLike(sample);
    assert.equal(invented.length, sample.length);
    assert.ok(invented.startsWith("%3A", 1));
    assert.notEqual(invented, sample);
    assert.match(invented, /^[a-z]%3A[A-Z][a-z]{2}\d{3}-_[a-z]{3}\.[A-Z]{3}$/);
  });
});

describe("latchkey audit --login: usage errors", () => {
  let server: Server;
  let url: string;
  const hits: string[] = [];
  let dir: string;
  before(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "text/html" }).end("<p>hello</p>");
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    dir = mkdtempSync(join(tmpdir(), "latchkey-login-"));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("exit 2 with a message naming the problem", async () => {
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [["--login", file("bad.json", "{")], /--login .*bad\.json: not valid JSON/],
      [
        ["--login", file("ok.json", JSON.stringify(MINIMAL))],
        /environment variable PW, which is not set/,
      ],
      [["--samples", "10"], /--samples needs --login/],
      [
        ["--login", file("ok2.json", JSON.stringify(MINIMAL)), "--samples", "0"],
        /--samples takes/,
        { PW: "x" },
      ],
      [
        ["--login", file("ok3.json", JSON.stringify(MINIMAL)), "--idle-probe", "soon"],
        /--idle-probe takes a duration/,
        { PW: "x" },
      ],
      [
        [
          "--login",
          file(
            "off.json",
            withChange((d) => ((d.loggedIn as { url: string }).url = "http://evil.example/")),
          ),
        ],
        /loggedIn\.url \(http:\/\/evil\.example\) is not on the target's origin/,
        { PW: "x" },
      ],
    ];
    for (const [args, message, env] of cases) {
      const run = await runCli(["audit", url, ...args], { env: env ?? {} });
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    // A login the site does not honour is exit 2 too, not a report.
    const run = await runCli(["audit", url, "--login", join(dir, "ok.json")], { env: { PW: "x" } });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /the login did not succeed: POST \/login answered 200/);
    assert.ok(
      hits.every((h) => !h.includes("evil")),
      "nothing went elsewhere",
    );
  });
});
