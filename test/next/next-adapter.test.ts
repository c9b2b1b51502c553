// The parts of latchkey/next that do not need Next.js running: the Set-Cookie → cookies().set()
// translation, which Cookie header a session is loaded from, the read-only view Server Components
// get, the Origin rule for Server Actions, and docs/adapters.md showing the example as it is.
// The whole adapter in a built app is next-app.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { actionOriginCheck } from "../../packages/latchkey/src/adapters/next/action-origin.ts";
import { readOnlySession } from "../../packages/latchkey/src/adapters/next/read-only-session.ts";
import { sessionCookieHeader } from "../../packages/latchkey/src/adapters/next/request-cookie.ts";
import { parseSetCookie } from "../../packages/latchkey/src/adapters/next/set-cookie.ts";
import { nextSessions } from "../../packages/latchkey/src/adapters/next.ts";
import {
  createSessions,
  isLatchkeyError,
  type SessionEvent,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { testSecret } from "../helpers/secrets.ts";
import { snippetAfter } from "../helpers/snippets.ts";

function engine(events: SessionEvent[] = []) {
  return createSessions({
    secrets: [testSecret()],
    store: memoryStore(),
    onEvent: (event) => events.push(event),
  });
}

/** A signed-in, saved session and the Set-Cookie line that saved it. */
async function savedSession() {
  const sessions = engine();
  const session = await sessions.load({ cookie: null, userAgent: "test" });
  await session.login("ada");
  const headers = await sessions.commit(session);
  assert.ok(headers !== null);
  const value = headers.setCookie.slice(headers.setCookie.indexOf("=") + 1).split(";")[0] ?? "";
  const cookie = `${sessions.cookieName}=${value}`;
  return { sessions, headers, cookie, loaded: await sessions.load({ cookie, userAgent: "test" }) };
}

describe("parseSetCookie: latchkey's Set-Cookie as cookies().set() options", () => {
  it("carries every attribute of a new session cookie", async () => {
    const { sessions, headers } = await savedSession();
    const cookie = parseSetCookie(headers.setCookie);
    assert.equal(cookie.name, sessions.cookieName);
    assert.match(cookie.name, /^__Host-/);
    assert.match(cookie.value, /^[A-Za-z0-9_.-]{20,}$/);
    assert.equal(cookie.path, "/");
    assert.equal(cookie.domain, undefined);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "lax");
    // A session cookie (no Max-Age) unless the session is persistent.
    assert.equal(cookie.maxAge, undefined);
  });

  it("carries a persistent cookie's Max-Age as a number", async () => {
    const sessions = engine();
    const session = await sessions.load({ cookie: null, userAgent: null });
    await session.login("ada", { persistent: true });
    const headers = await sessions.commit(session);
    assert.ok(headers !== null);
    const cookie = parseSetCookie(headers.setCookie);
    assert.equal(typeof cookie.maxAge, "number");
    assert.ok((cookie.maxAge ?? 0) > 0, headers.setCookie);
  });

  it("carries the expiring cookie of a logout: empty value, Max-Age=0, Expires in 1970", async () => {
    const { sessions, loaded } = await savedSession();
    await loaded.logout();
    const headers = await sessions.commit(loaded);
    assert.ok(headers !== null);
    const cookie = parseSetCookie(headers.setCookie);
    assert.equal(cookie.value, "");
    assert.equal(cookie.maxAge, 0);
    assert.equal(cookie.expires?.getTime(), 0);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.path, "/");
  });

  const refused: Record<string, string> = {
    "an attribute it does not know": "__Host-s=abc; Path=/; Secure; HttpOnly; Foo=bar",
    "a SameSite value it does not know": "__Host-s=abc; Path=/; Secure; SameSite=Sometimes",
    "a Priority value it does not know": "__Host-s=abc; Path=/; Secure; Priority=urgent",
    "no name": "=abc; Path=/",
    "no name=value pair": "abc; Path=/",
  };
  for (const [what, line] of Object.entries(refused)) {
    it(`refuses a line with ${what} rather than drop it`, () => {
      assert.throws(
        () => parseSetCookie(line),
        (error: unknown) => isLatchkeyError(error, "argument-invalid"),
      );
    });
  }

  it("reads attribute names and SameSite in any case, as RFC 6265 asks", () => {
    const cookie = parseSetCookie(
      "s=v; path=/x; SECURE; httponly; samesite=Strict; Priority=HIGH; Partitioned",
    );
    assert.deepEqual(cookie, {
      name: "s",
      value: "v",
      path: "/x",
      secure: true,
      httpOnly: true,
      sameSite: "strict",
      priority: "high",
      partitioned: true,
    });
  });
});

describe("sessionCookieHeader: which Cookie header a session is loaded from", () => {
  const name = "__Host-sid";
  const cases: [string, string | null, string | undefined, string | null][] = [
    ["no cookie at all", null, undefined, null],
    [
      "the raw header when cookies() agrees with it",
      `a=1; ${name}=tok.en`,
      "tok.en",
      `a=1; ${name}=tok.en`,
    ],
    [
      "the new value an action set during this request",
      `${name}=old`,
      "new.token",
      `${name}=new.token`,
    ],
    [
      "the new value when the request had no session cookie",
      "a=1",
      "new.token",
      `${name}=new.token; a=1`,
    ],
    [
      "the new value with the request's other cookies kept (the DBSC bound cookie among them)",
      `a=1; ${name}=old; __Host-dbsc=123.mac`,
      "new.token",
      `${name}=new.token; a=1; __Host-dbsc=123.mac`,
    ],
    ["no cookie once an action expired it (cookies() has it empty)", `${name}=old`, "", null],
    [
      "the other cookies only once an action expired it",
      `${name}=old; __Host-dbsc=123.mac`,
      "",
      "__Host-dbsc=123.mac",
    ],
    [
      "the raw header when the cookie is named twice, so the engine refuses it",
      `${name}=a; ${name}=b`,
      "b",
      `${name}=a; ${name}=b`,
    ],
    [
      "the raw header when the value is spelled as latchkey never writes it",
      `${name}="tok"`,
      "tok",
      `${name}="tok"`,
    ],
    ["the raw header when the value is %-encoded", `${name}=%74ok`, "tok", `${name}=%74ok`],
  ];
  for (const [what, raw, current, expected] of cases) {
    it(what, () => assert.equal(sessionCookieHeader(raw, name, current), expected));
  }
});

describe("readOnlySession: the session a Server Component sees", () => {
  it("reads what the session holds", async () => {
    const { loaded } = await savedSession();
    const view = readOnlySession(loaded);
    assert.equal(view.userId, "ada");
    assert.equal(view.isNew, false);
    assert.equal(view.ref, loaded.ref);
    assert.ok(view.ref !== null);
    assert.equal(view.isFresh("5m"), true);
  });

  it("has no writer at all, even through a cast, and cannot be given one", async () => {
    const { loaded } = await savedSession();
    const view = readOnlySession(loaded) as unknown as Record<string, unknown>;
    for (const writer of [
      "set",
      "delete",
      "clear",
      "login",
      "logout",
      "regenerate",
      "destroy",
      "stepUp",
      "touch",
    ]) {
      assert.equal(view[writer], undefined, writer);
    }
    assert.throws(() => {
      view.set = () => undefined;
    }, TypeError);
    assert.throws(() => {
      (view as { userId: unknown }).userId = "mallory";
    }, TypeError);
    assert.equal(loaded.userId, "ada");
  });

  it("gives a CSRF token that a route() handler accepts, and route() refuses a post without it", async () => {
    const { sessions, cookie, loaded } = await savedSession();
    const token = readOnlySession(loaded).csrfToken();
    const { route } = nextSessions(sessions);
    const logout = route(async (_request, session) => {
      await session.logout();
      return new Response("bye");
    });
    const post = (body: string) =>
      logout(
        new Request("https://shop.example/logout", {
          method: "POST",
          headers: {
            cookie,
            "content-type": "application/x-www-form-urlencoded",
            "sec-fetch-site": "same-origin",
          },
          body,
        }),
      );
    assert.equal((await post("_csrf=wrong")).status, 403);
    const accepted = await post(`_csrf=${encodeURIComponent(token)}`);
    assert.equal(accepted.status, 200);
    assert.match(accepted.headers.get("set-cookie") ?? "", /Max-Age=0/);
  });

  it("refuses a CSRF token for a visitor without a saved session", async () => {
    const sessions = engine();
    const view = readOnlySession(await sessions.load({ cookie: null, userAgent: null }));
    assert.throws(
      () => view.csrfToken(),
      (error: unknown) => isLatchkeyError(error, "session-not-saved"),
    );
  });
});

describe("actionOriginCheck: which Server Action posts are let through", () => {
  const host = "shop.example";
  const allowed: [string, Record<string, string>][] = [
    [
      "Sec-Fetch-Site: same-origin",
      { host, "sec-fetch-site": "same-origin", origin: "https://evil.example" },
    ],
    ["no Fetch Metadata, Origin the https origin of Host", { host, origin: `https://${host}` }],
    [
      "no Fetch Metadata or Origin, Referer on this origin",
      { host, referer: `https://${host}/signin` },
    ],
  ];
  const refused: [string, Record<string, string>][] = [
    [
      "Sec-Fetch-Site: cross-site",
      { host, "sec-fetch-site": "cross-site", origin: `https://${host}` },
    ],
    ["Sec-Fetch-Site: same-site (a sibling subdomain)", { host, "sec-fetch-site": "same-site" }],
    ["Origin another host", { host, origin: "https://evil.example" }],
    [
      "Origin the same host over plain http (not the origin without trustProxy)",
      { host, origin: `http://${host}` },
    ],
    ["Origin the same host on another port", { host, origin: `https://${host}:8443` }],
    ["Origin: null (a sandboxed frame or data: page)", { host, origin: "null" }],
    ["neither Fetch Metadata, Origin nor Referer", { host }],
  ];

  function check(headers: Record<string, string>, csrf?: Parameters<typeof actionOriginCheck>[1]) {
    const events: SessionEvent[] = [];
    const run = actionOriginCheck(engine(events), csrf);
    let error: unknown = null;
    try {
      run((name) => headers[name] ?? null);
    } catch (thrown) {
      error = thrown;
    }
    return { error, events };
  }

  for (const [what, headers] of allowed) {
    it(`lets through ${what}`, () => {
      const { error, events } = check(headers);
      assert.equal(error, null);
      assert.deepEqual(events, []);
    });
  }
  for (const [what, headers] of refused) {
    it(`refuses ${what}, with a csrf-refused event`, () => {
      const { error, events } = check(headers);
      assert.ok(isLatchkeyError(error, "csrf-refused"), String(error));
      assert.deepEqual(
        events.map((e) => e.type),
        ["csrf-refused"],
      );
    });
  }

  it("believes X-Forwarded-Proto only with trustProxy", () => {
    const headers = { host, origin: `http://${host}`, "x-forwarded-proto": "http" };
    assert.ok(isLatchkeyError(check(headers).error, "csrf-refused"));
    assert.equal(check(headers, { trustProxy: true }).error, null);
  });

  it("lets through an origin listed in allowedOrigins", () => {
    const headers = { host, origin: "http://localhost:3000" };
    assert.ok(isLatchkeyError(check(headers).error, "csrf-refused"));
    assert.equal(check(headers, { allowedOrigins: ["http://localhost:3000"] }).error, null);
  });
});

describe("docs/adapters.md shows examples/next as it is", () => {
  const doc = readFileSync("docs/adapters.md", "utf8");
  for (const file of ["lib/session.ts", "app/actions.ts", "app/logout/route.ts"]) {
    it(file, () => {
      const shown = snippetAfter(doc, `as in \`examples/next/${file}\``, "ts");
      assert.equal(shown, readFileSync(`examples/next/${file}`, "utf8"));
    });
  }
});
