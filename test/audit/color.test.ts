// Colours in the terminal report (util.styleText): NO_COLOR turns them off and wins, FORCE_COLOR
// turns them on even into a pipe, otherwise only a terminal with colours gets them. The CLI
// runs are real processes against a site whose cookie name carries a C1 control character: with
// colours forced, the only escape sequences are the report's own colours.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { colorEnabled, painter } from "../../packages/latchkey-cli/src/report/color.ts";
import { runCli } from "./harness.ts";

const ESC = "\u001b";
// Select Graphic Rendition: the only sequences colouring may add.
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, "g");
// Any C0 or C1 control but newline, as a terminal would act on it.
const hasControl = (text: string) =>
  [...text].some((c) => {
    const n = c.charCodeAt(0);
    return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f);
  });

describe("colorEnabled", () => {
  const tty = { isTTY: true, hasColors: () => true };
  const mono = { isTTY: true, hasColors: () => false };
  const pipe = { isTTY: false };
  const cases: [
    string,
    { isTTY?: boolean; hasColors?: () => boolean },
    NodeJS.ProcessEnv,
    boolean,
  ][] = [
    ["a colour terminal", tty, {}, true],
    ["a terminal without colours", mono, {}, false],
    ["a pipe", pipe, {}, false],
    ["NO_COLOR on a terminal", tty, { NO_COLOR: "1" }, false],
    ["NO_COLOR with any value", tty, { NO_COLOR: "false" }, false],
    ["an empty NO_COLOR is unset (no-color.org)", tty, { NO_COLOR: "" }, true],
    ["FORCE_COLOR into a pipe", pipe, { FORCE_COLOR: "1" }, true],
    ["FORCE_COLOR with no value", pipe, { FORCE_COLOR: "" }, true],
    ["FORCE_COLOR=0 on a terminal", tty, { FORCE_COLOR: "0" }, false],
    ["FORCE_COLOR=false on a terminal", tty, { FORCE_COLOR: "false" }, false],
    ["NO_COLOR wins over FORCE_COLOR", pipe, { NO_COLOR: "1", FORCE_COLOR: "1" }, false],
  ];
  for (const [name, stream, env, expected] of cases)
    it(name, () => assert.equal(colorEnabled(stream, env), expected));

  it("paints through util.styleText whatever the process's own stdout is", () => {
    assert.equal(painter(true)(["bold", "red"], "x"), `${ESC}[1m${ESC}[31mx${ESC}[39m${ESC}[22m`);
    assert.equal(painter(false)(["bold", "red"], "x"), "x");
  });
});

describe("the terminal report's colours, from the command line", () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((_req, res) => {
      // 0x9B is a one-byte CSI on many terminals; Latin-1 in a header is legal for Node.
      res.setHeader("set-cookie", "sess\u009bx=Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU; Path=/");
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><html><body>hello</body></html>");
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  // The harness sets NO_COLOR=1; an empty NO_COLOR is "not set".
  const audit = (env: Record<string, string>) =>
    runCli(["audit", url, "--fail-on", "critical"], {
      env: { NO_COLOR: "", FORCE_COLOR: "", ...env },
    });

  it("FORCE_COLOR=1 colours the report even into a pipe; hostile text stays escaped", async () => {
    const run = await audit({ FORCE_COLOR: "1" });
    assert.equal(run.status, 0, run.stderr);
    assert.ok((run.stdout.match(SGR)?.length ?? 0) > 4, run.stdout);
    assert.match(run.stdout, new RegExp(`${ESC}\\[1m${ESC}\\[31mHIGH`));
    assert.equal(hasControl(run.stdout.replace(SGR, "")), false);
    assert.match(run.stdout, /cookie sess\S*\\x9bx/);
  });

  it("NO_COLOR=1 wins, even with FORCE_COLOR=1", async () => {
    const envs: Record<string, string>[] = [{ NO_COLOR: "1" }, { NO_COLOR: "1", FORCE_COLOR: "1" }];
    for (const env of envs) {
      const run = await audit(env);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(!run.stdout.includes(ESC), JSON.stringify(env));
      assert.match(run.stdout, /HIGH \(\d+\)/);
    }
  });

  it("a pipe without FORCE_COLOR gets no colour", async () => {
    const run = await audit({ FORCE_COLOR: "0" });
    assert.ok(!run.stdout.includes(ESC));
    const unset = await runCli(["audit", url, "--fail-on", "critical"], { env: { NO_COLOR: "" } });
    if (process.env.FORCE_COLOR === undefined) assert.ok(!unset.stdout.includes(ESC));
  });

  const script = spawnSync("script", ["--version"], { encoding: "utf8" });
  it("a terminal gets colours; the same terminal with NO_COLOR=1 does not", {
    skip: script.status !== 0 ? "script(1) is not installed: no pseudo-terminal" : false,
  }, async () => {
    const onTerminal = async (env: Record<string, string>) => {
      const command = [process.execPath, "--import", "tsx", "packages/latchkey-cli/src/cli.ts"]
        .concat(["audit", url, "--fail-on", "critical"])
        .map((a) => `'${a}'`)
        .join(" ");
      const clean = { ...process.env };
      delete clean.NO_COLOR;
      delete clean.FORCE_COLOR;
      // Node gives a terminal two colours (none, for hasColors()) when CI is set: CI runs this too.
      delete clean.CI;
      // script(1) gives the CLI a pseudo-terminal for stdout and stderr; TERM says it has colours.
      const child = spawn("script", ["-qfec", command, "/dev/null"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...clean, TERM: "xterm-256color", ...env },
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      const status = await new Promise((r) => child.on("close", r));
      assert.equal(status, 0, out);
      return out;
    };
    const coloured = await onTerminal({});
    assert.match(coloured, new RegExp(`${ESC}\\[1m${ESC}\\[31mHIGH`));
    const plain = await onTerminal({ NO_COLOR: "1" });
    assert.match(plain, /HIGH \(\d+\)/);
    assert.equal(plain.match(SGR), null);
  });
});
