// Pages built to make HTML scanning slow: each pathological shape, 2 MB of it, must be read in
// well under a second of CPU time by every check that reads page bodies. CPU time rather than wall
// time: on a loaded machine the wall clock also counts time spent waiting for a core, while a
// quadratic scan of 2 MB costs tens of seconds of CPU however idle the machine is.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { AuditContext } from "../../packages/latchkey-cli/src/audit/context.ts";
import { ANALYSED_HTML_CHARS, startTags } from "../../packages/latchkey-cli/src/audit/html-tags.ts";
import { extractLinks } from "../../packages/latchkey-cli/src/audit/links.ts";
import { inputValue } from "../../packages/latchkey-cli/src/audit/login-flow.ts";
import { checkCsp } from "../../packages/latchkey-cli/src/audit/response-checks.ts";
import { checkScriptIntegrity } from "../../packages/latchkey-cli/src/audit/script-integrity.ts";
import { response } from "./fixtures.ts";

const context = (): AuditContext => ({
  target: new URL("https://app.example/"),
  development: false,
  framework: "generic",
  now: Date.now(),
});
const htmlResponse = (body: string) => response("https://app.example/", [], {}, body);

const SIZE = 2 * 1024 * 1024;
const flood = (unit: string, tail = "") => unit.repeat(Math.ceil(SIZE / unit.length)) + tail;

// Each shape defeated a `<meta[^>]+…` or `<(input|meta)\b[^>]*>` style expression.
const SHAPES: Record<string, string> = {
  "repeated <meta ": flood("<meta "),
  "<meta http-equiv= without >": flood("<meta http-equiv="),
  "<meta http-equiv=refresh content=' unclosed": flood("<meta http-equiv=refresh content='x "),
  "<a href= flood": flood("<a href="),
  'unclosed href="': `<a href="${"x".repeat(SIZE)}`,
  "<form flood": flood("<form action=/x "),
  "<input flood": flood("<input name=csrf "),
  "<script src flood": flood("<script src=//cdn.example/x.js "),
  "long attribute run": `<meta ${"a".repeat(SIZE)}`,
  "attribute names with no values": flood("<meta a b c d e f g h "),
  "quotes and equals": flood(`<meta ="'=`),
  "unterminated comment": `<!--${"<meta ".repeat(SIZE / 6)}`,
  "nested opens": flood("<<<<<<<<"),
};

function cpuMilliseconds(run: () => unknown): number {
  const started = process.cpuUsage();
  run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

describe("hostile pages are read in linear time", () => {
  for (const [shape, page] of Object.entries(SHAPES)) {
    it(`${shape}: links, form fields, CSP meta and scripts in under 1 s of CPU`, () => {
      const response = htmlResponse(page);
      const ms = cpuMilliseconds(() => {
        extractLinks(page);
        inputValue(page, "csrf");
        checkCsp(response, context());
        checkScriptIntegrity(response, context());
      });
      assert.ok(ms < 1000, `${shape} took ${Math.round(ms)} ms of CPU`);
    });
  }

  it("reads only the first ANALYSED_HTML_CHARS characters of a page", () => {
    const page = `${" ".repeat(ANALYSED_HTML_CHARS)}<a href="/late">`;
    assert.deepEqual(extractLinks(page), []);
    assert.deepEqual(extractLinks(`<a href="/early">${page}`), ["/early"]);
  });

  it("stops at the deadline", () => {
    const tags = [...startTags(flood("<a href=/x>"), { deadline: performance.now() - 1 })];
    assert.ok(tags.length < 1000, `${tags.length} tags after the deadline`);
  });
});

describe("the tag scanner reads what browsers read", () => {
  it("attributes quoted, unquoted and bare; first occurrence wins; entities in links", () => {
    const html = `<A HREF='/one?a=1&amp;b=2' href="/ignored"><img src=/img.png alt><form action = "/post">
      <meta http-equiv="Refresh" content="3; URL='/next'"><!-- <a href="/commented"> -->
      <button formaction=/alt>go</button>`;
    assert.deepEqual(extractLinks(html).sort(), [
      "/alt",
      "/img.png",
      "/next",
      "/one?a=1&b=2",
      "/post",
    ]);
  });

  it("javascript:, mailto: and data: links are not pages", () => {
    assert.deepEqual(
      extractLinks(`<a href="javascript:void 0"><a href="mailto:a@b"><img src="data:,x">`),
      [],
    );
  });

  it("form field and meta token values", () => {
    const html = `<input type=hidden name=csrf value="a&amp;b"><meta name="csrf-token" content=m1>`;
    assert.equal(inputValue(html, "csrf"), "a&b");
    assert.equal(inputValue(html, "csrf-token"), "m1");
    assert.equal(inputValue(html, "missing"), undefined);
  });
});
