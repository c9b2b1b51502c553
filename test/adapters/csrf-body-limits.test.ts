// How much of a form body the CSRF check reads, over real HTTP on every adapter: never past
// `bodyLimit` (413 when the token is not within it), never past the declared Content-Length,
// and not forever (408 when the body stops arriving). The framework's own limit is the default.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { Browser, json, setup } from "./csrf-client.ts";
import { csrfMounts } from "./csrf-mounts.ts";

const FORM = {
  "sec-fetch-site": "same-origin",
  "content-type": "application/x-www-form-urlencoded",
};

/** Sends the request head and only `sent` bytes of a longer body, then waits: a stalled client. */
function stalledRequest(
  url: string,
  head: Record<string, string>,
  sent: string,
): Promise<{ status: number; text: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closed: true }),
    );
    const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
    socket.write(
      `POST /echo HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${lines.join("\r\n")}\r\n\r\n`,
    );
    socket.write(sent);
    // The server must answer and close on its own; this only bounds a failing test.
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: how much of a form body the CSRF check reads`, () => {
    const t = setup(mount, { bodyLimit: 2048, bodyTimeout: 300 });

    it("a token within the limit passes, even when the body goes on past it", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const body = `_csrf=${token}&big=${"y".repeat(50_000)}`;
      const reply = await t.send("/echo", { method: "POST", browser, headers: FORM, body });
      assert.equal(reply.status, 200, reply.body);
      assert.equal(json(reply).body.length, body.length, "the application read the whole body");
    });

    it("no token within the limit: 413 body-too-large, and the connection is closed", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const reply = await t.send("/echo", {
        method: "POST",
        browser,
        headers: FORM,
        body: `big=${"y".repeat(50_000)}&_csrf=${token}`,
      });
      assert.equal(reply.status, 413);
      assert.deepEqual(json(reply), { error: "csrf-refused", reason: "body-too-large" });
      assert.equal(reply.headers.get("connection"), "close");
      const event = t.events.findLast((e) => e.type === "csrf-refused");
      assert.equal(event?.reason, "body-too-large");
    });

    it("a body that stops arriving: 408 body-timeout after the idle timeout", async () => {
      const started = Date.now();
      const reply = await stalledRequest(
        t.origin(),
        { ...FORM, "content-length": "1000" },
        "a=1&b=2",
      );
      assert.equal(reply.status, 408, reply.text);
      assert.match(reply.text, /"reason":"body-timeout"/);
      assert.ok(reply.closed);
      assert.ok(Date.now() - started >= 250, "not before the idle timeout");
    });

    it("a body within the limit is read to its declared end, and no further", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const reply = await t.send("/echo", {
        method: "POST",
        browser,
        headers: FORM,
        body: `a=1&_csrf=${token}`,
      });
      assert.equal(reply.status, 200, reply.body);
    });
  });

  describe(`${adapter}: the default limit`, () => {
    const t = setup(mount);
    // Fastify's own bodyLimit (10 MiB in this mount) is read; the others have none that can be
    // read, so Express's 100 KB applies.
    const limit = adapter === "fastify" ? 10 * 1024 * 1024 : 100 * 1024;

    it(`is ${limit} bytes`, async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const send = (padding: number) =>
        t.send("/echo", {
          method: "POST",
          browser,
          headers: FORM,
          body: `big=${"y".repeat(padding)}&_csrf=${token}`,
        });
      assert.equal((await send(100 * 1024 - 200)).status, 200);
      // Past 100 KB: refused, unless the framework's own limit allows more.
      assert.equal((await send(150 * 1024)).status, limit > 150 * 1024 ? 200 : 413);
    });
  });
}
