// Authenticated passive scans: --cookie/--header and their -env forms reach the pages behind a
// login, and no value is ever printed, whole or shortened, in any output format.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { suppliedCredentials } from "../../packages/latchkey-cli/src/audit/credentials.ts";
import { type GatedApp, startCredentialGated } from "../fixtures/audit/apps/credential-gated.ts";
import { type CliRun, type JsonFinding, runCli } from "./harness.ts";

const SESSION = randomBytes(24).toString("hex");
const TOKEN = `tok-${randomBytes(16).toString("hex")}`;

function assertNoSecret(run: CliRun) {
  for (const secret of [SESSION, TOKEN]) {
    for (const text of [run.stdout, run.stderr]) {
      assert.ok(!text.includes(secret), "a whole credential was printed");
      assert.ok(!text.includes(secret.slice(0, 8)), "part of a credential was printed");
      assert.ok(!text.includes(`${secret.slice(0, 4)}…`), "a shortened credential was printed");
    }
  }
}

interface Report {
  pages: { count: number; urls: string[] };
  findings: JsonFinding[];
}

describe("audit --cookie / --header: authenticated passive scan", () => {
  let app: GatedApp;
  before(async () => {
    app = await startCredentialGated(SESSION, TOKEN);
  });
  after(() => app.close());

  it("without credentials sees only the login page", async () => {
    const run = await runCli(["audit", app.url, "--json", "--fail-on", "critical"]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.deepEqual(report.pages.urls, [app.url, `${app.url}login`]);
  });

  it("with --cookie and --header crawls the signed-in pages and reports what they set", async () => {
    const run = await runCli([
      "audit",
      app.url,
      "--json",
      "--fail-on",
      "critical",
      "--cookie",
      `session=${SESSION}`,
      "--header",
      `X-Gateway-Token: ${TOKEN}`,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assertNoSecret(run);
    const report = JSON.parse(run.stdout) as Report;
    const paths = report.pages.urls.map((u) => new URL(u).pathname + new URL(u).search).sort();
    assert.ok(paths.includes("/account") && paths.includes("/reports"), paths.join(" "));
    assert.ok(!paths.includes("/login"), "the cookie was not sent");
    const ids = report.findings.map((f) => `${f.id} ${f.cookie ?? ""}`);
    assert.ok(ids.includes("cookie-missing-httponly session"), ids.join("\n"));
    assert.ok(ids.includes("session-id-in-url "), ids.join("\n"));
    // The refreshed cookie's evidence names where the value came from instead of quoting it.
    const httpOnly = report.findings.find((f) => f.id === "cookie-missing-httponly")!;
    assert.match(httpOnly.evidence, /\(value of --cookie session\)/);
  });

  it("reads values from the environment with --cookie-env and --header-env", async () => {
    const env = { AUDIT_SESSION: SESSION, AUDIT_TOKEN: TOKEN };
    const args = [
      "--cookie-env",
      "session=AUDIT_SESSION",
      "--header-env",
      "X-Gateway-Token: AUDIT_TOKEN",
    ];
    for (const format of [[], ["--sarif"], ["--json"]]) {
      const run = await runCli(["audit", app.url, ...format, "--fail-on", "info", ...args], {
        env,
      });
      assert.equal(run.status, 1, run.stderr);
      assertNoSecret(run);
      assert.match(run.stdout, /\$AUDIT_SESSION/);
      if (format[0] === "--json") {
        const report = JSON.parse(run.stdout) as Report;
        assert.ok(report.pages.urls.some((u) => u.endsWith("/reports")));
        assert.ok(
          report.findings.some((f) => f.cookie === "report_view"),
          "the header was not sent",
        );
      }
    }
  });

  it("a missing variable or a malformed flag is a usage error that shows no value", async () => {
    const cases: [string[], RegExp][] = [
      [["--cookie-env", "session=AUDIT_UNSET_VARIABLE"], /AUDIT_UNSET_VARIABLE is not set/],
      [["--cookie", SESSION], /--cookie takes NAME=VALUE/],
      [["--cookie", `session=${SESSION};x`], /--cookie session: the value has a character/],
      [["--header", `X-Gateway-Token ${TOKEN}`], /--header takes "Name: value"/],
      [["--header", `Cookie: session=${SESSION}`], /use --cookie NAME=VALUE/],
      [["--header", `X-Gateway-Token: ${TOKEN}\r\nX-Other: 1`], /line break or control character/],
      [["--cookie", `session=${SESSION}`, "--cookie", `session=${TOKEN}`], /given twice/],
    ];
    for (const [flags, message] of cases) {
      const run = await runCli(["audit", app.url, ...flags], { env: { AUDIT_UNSET_VARIABLE: "" } });
      assert.equal(run.status, 2, flags.join(" "));
      assert.match(run.stderr, message);
      assertNoSecret(run);
    }
  });
});

describe("suppliedCredentials", () => {
  it("keeps values as given, header names lowercased, and scrubs values of 4 characters or more", () => {
    const parsed = suppliedCredentials(
      { cookie: ["a=b=c==", "short=xy"], header: ["Authorization: Bearer abc.def"] },
      {},
    );
    assert.deepEqual(parsed.cookies, [
      ["a", "b=c=="],
      ["short", "xy"],
    ]);
    assert.deepEqual(parsed.headers, { authorization: "Bearer abc.def" });
    assert.deepEqual(
      parsed.secrets.map((s) => s.shown),
      ["(value of --cookie a)", "(value of --header Authorization)"],
    );
  });
});
