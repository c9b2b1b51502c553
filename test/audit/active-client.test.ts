// The active checks' only way out: target origin only, a request budget, a rate limit, and a
// redacted record of every exchange.
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ActiveClient } from "../../packages/latchkey-cli/src/audit/active-client.ts";
import { CookieJar } from "../../packages/latchkey-cli/src/audit/cookie-jar.ts";
import { isCliError } from "../../packages/latchkey-cli/src/errors.ts";

const SECRET = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";

describe("ActiveClient", () => {
  let server: Server;
  let target: URL;
  const hits: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      if (req.url === "/away") res.writeHead(302, { location: "http://example.com/" }).end();
      else if (req.url === "/hop") res.writeHead(302, { location: "/end" }).end();
      else if (req.url === "/logout")
        res
          .writeHead(200, {
            "set-cookie": "sid=; Max-Age=0; Path=/",
            "clear-site-data": '"cookies"',
          })
          .end();
      else res.writeHead(200, { "set-cookie": `sid=${SECRET}; HttpOnly; Path=/` }).end("ok");
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    target = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const fetchOptions = { timeoutMs: 5000, insecure: false, ca: undefined };

  it("refuses any other origin, and does not follow redirects off the target", async () => {
    const client = new ActiveClient(target, fetchOptions, { rate: 1000, budget: 10 });
    assert.equal(client.resolve("http://example.com/x"), undefined);
    assert.equal(client.resolve(`${target.origin.replace("http:", "https:")}/`), undefined);
    await assert.rejects(
      client.send("t", { url: new URL("http://example.com/"), method: "GET" }, new CookieJar()),
      (error: unknown) => isCliError(error, "active-check"),
    );
    const chain = await client.send(
      "t",
      { url: new URL("/away", target), method: "GET" },
      new CookieJar(),
      {
        follow: true,
      },
    );
    assert.equal(chain.length, 1);
    const hops = await client.send(
      "t",
      { url: new URL("/hop", target), method: "GET" },
      new CookieJar(),
      {
        follow: true,
      },
    );
    assert.deepEqual(
      hops.map((r) => new URL(r.url).pathname),
      ["/hop", "/end"],
    );
  });

  it("stops at the budget and keeps to the rate", async () => {
    const client = new ActiveClient(target, fetchOptions, { rate: 20, budget: 5 });
    const started = Date.now();
    for (let i = 0; i < 5; i++)
      await client.send("t", { url: new URL("/", target), method: "GET" }, new CookieJar());
    assert.ok(Date.now() - started >= 190, "5 requests at 20/s take at least 200 ms");
    await assert.rejects(
      client.send("t", { url: new URL("/", target), method: "GET" }, new CookieJar()),
      /request budget of 5 exhausted/,
    );
    assert.equal(client.sent, 5);
  });

  it("records each exchange with cookie values redacted, and the jar follows Set-Cookie", async () => {
    const client = new ActiveClient(target, fetchOptions, { rate: 1000, budget: 10 });
    const jar = new CookieJar();
    await client.send("login", { url: new URL("/", target), method: "GET" }, jar);
    assert.equal(jar.get("sid"), SECRET);
    await client.send(
      "logout",
      {
        url: new URL("/logout", target),
        method: "POST",
        headers: { "x-csrf-token": SECRET, origin: target.origin },
        body: "a=1",
        bodySummary: "form: a",
      },
      jar,
    );
    assert.equal(jar.get("sid"), undefined, "an expired cookie leaves the jar");
    const text = JSON.stringify(client.steps);
    assert.ok(!text.includes(SECRET), text);
    assert.match(
      client.steps[0]!.received,
      /^200 · Set-Cookie: sid=Zm9v…\(44 chars\); HttpOnly; Path=\/$/,
    );
    assert.match(
      client.steps[1]!.sent,
      /^POST \/logout · cookie sid=Zm9v…\(44 chars\) · x-csrf-token: \(44 chars\) · origin: http/,
    );
    assert.match(client.steps[1]!.received, /Clear-Site-Data: "cookies"/);
  });
});

describe("CookieJar", () => {
  it("never throws on hostile Set-Cookie headers, and never stores a value it could not send", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 200 })), (headers) => {
        const jar = new CookieJar();
        jar.update(headers);
        for (const name of jar.names()) assert.doesNotMatch(jar.get(name) ?? "", /[;\r\n]/);
        jar.header();
        jar.redactedHeader();
      }),
    );
  });
});
