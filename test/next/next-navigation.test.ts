// redirect() and notFound() from Next.js 16 and 15.5 (the real functions, both versions
// installed) recognised by latchkey/next without Next's internal modules, and in a route()
// handler turned into the Response Next would give, with the session saved and its cookie on it.
// The same in Server Actions of built apps: next-app.test.ts (16), next15-app.test.ts (15.5).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
// Next's own predicates, to hold latchkey's recognition to them (the adapter may not import these).
import { isHTTPAccessFallbackError } from "next/dist/client/components/http-access-fallback/http-access-fallback.js";
import { getURLFromRedirectError } from "next/dist/client/components/redirect.js";
import { isRedirectError } from "next/dist/client/components/redirect-error.js";
import * as next16 from "next/navigation.js";
import { navigationSignal } from "../../packages/latchkey/src/adapters/next/navigation-signal.ts";
import { nextSessions } from "../../packages/latchkey/src/adapters/next.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { testSecret } from "../helpers/secrets.ts";

type Navigation = Pick<typeof next16, "redirect" | "permanentRedirect" | "notFound">;

// examples/next15 has its own Next 15.5 (an npm workspace: Next requires itself by name, so two
// versions cannot share one node_modules).
const NEXT15_APP = new URL("../../examples/next15/package.json", import.meta.url);

/** Next 15.5's navigation functions, or null when examples/next15 has none of its own. */
function next15(): Navigation | null {
  try {
    const load = createRequire(NEXT15_APP);
    // Without its own copy, `next` would resolve to the root's Next 16.
    if (!String(load("next/package.json").version).startsWith("15.")) return null;
    return load("next/navigation.js") as Navigation;
  } catch {
    return null;
  }
}

/** What `call` throws. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  assert.fail("expected a throw");
}

const versions: [string, Navigation | null][] = [
  [`Next ${createRequire(import.meta.url)("next/package.json").version}`, next16],
  ["Next 15.5", next15()],
];

for (const [version, navigation] of versions) {
  describe(`navigationSignal with ${version}`, () => {
    it("reads redirect(), permanentRedirect() and redirect(…, 'push')", (t) => {
      if (navigation === null) return t.skip("examples/next15 has no Next.js (npm install)");
      assert.deepEqual(navigationSignal(thrown(() => navigation.redirect("/account"))), {
        kind: "redirect",
        location: "/account",
        status: 307,
      });
      assert.deepEqual(navigationSignal(thrown(() => navigation.permanentRedirect("/moved"))), {
        kind: "redirect",
        location: "/moved",
        status: 308,
      });
      // A URL holding semicolons keeps them.
      assert.deepEqual(
        navigationSignal(thrown(() => navigation.redirect("/a;b?c=1;2", "push" as never))),
        { kind: "redirect", location: "/a;b?c=1;2", status: 307 },
      );
    });

    it("reads notFound()", (t) => {
      if (navigation === null) return t.skip("examples/next15 has no Next.js (npm install)");
      assert.deepEqual(navigationSignal(thrown(() => navigation.notFound())), {
        kind: "http-fallback",
        status: 404,
      });
    });
  });
}

describe("navigationSignal on forbidden() and unauthorized() (experimental.authInterrupts)", () => {
  // Both versions throw these only with the experimental flag on; the digest is notFound()'s shape.
  it("reads 403 and 401", () => {
    assert.deepEqual(navigationSignal({ digest: "NEXT_HTTP_ERROR_FALLBACK;403" }), {
      kind: "http-fallback",
      status: 403,
    });
    assert.deepEqual(navigationSignal({ digest: "NEXT_HTTP_ERROR_FALLBACK;401" }), {
      kind: "http-fallback",
      status: 401,
    });
  });
});

describe("navigationSignal on anything else", () => {
  const others: [string, unknown][] = [
    ["an Error", new Error("NEXT_REDIRECT;replace;/x;307;")],
    ["a string", "NEXT_REDIRECT;replace;/x;307;"],
    ["null", null],
    ["a digest that is not a string", { digest: 42 }],
    ["a redirect without a status", { digest: "NEXT_REDIRECT;replace;/x;" }],
    ["a redirect with another status", { digest: "NEXT_REDIRECT;replace;/x;302;" }],
    ["a redirect of an unknown type", { digest: "NEXT_REDIRECT;jump;/x;307;" }],
    ["a redirect without the closing ;", { digest: "NEXT_REDIRECT;replace;/x;307" }],
    ["a redirect without a URL", { digest: "NEXT_REDIRECT;replace;;307;" }],
    ["a fallback with another status", { digest: "NEXT_HTTP_ERROR_FALLBACK;500" }],
    ["a fallback with trailing text", { digest: "NEXT_HTTP_ERROR_FALLBACK;404;x" }],
    ["Next's digest for a server error", { digest: "2741512385" }],
    ["a dynamic-usage bailout", { digest: "DYNAMIC_SERVER_USAGE" }],
  ];
  for (const [what, error] of others) {
    it(`is null for ${what}`, () => assert.equal(navigationSignal(error), null));
  }

  it("is null for a redirect Next could not send (CR, LF or NUL in the URL): nothing saved", () => {
    for (const url of ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\0b"]) {
      assert.equal(navigationSignal({ digest: `NEXT_REDIRECT;replace;${url};307;` }), null);
    }
  });

  it("recognises nothing Next does not, and answers with Next's own URL and status", () => {
    // Look-alike digests an error could carry; for each, Next's verdict is the reference.
    const digests = [
      "NEXT_REDIRECT;replace;https://evil.example;307;",
      "NEXT_REDIRECT;push;//evil.example/x;303;",
      "NEXT_REDIRECT;replace;javascript:alert(1);308;",
      "NEXT_REDIRECT;replace;/a;b;c;307;",
      "NEXT_REDIRECT;replace;/x;0x133;",
      "NEXT_REDIRECT;replace;/x; 307;",
      "NEXT_REDIRECT;replace;/x;307;junk",
      "NEXT_REDIRECT;replace;/x;307;;",
      "NEXT_REDIRECT ;replace;/x;307;",
      "next_redirect;replace;/x;307;",
      "NEXT_REDIRECT;replace;/x\r\nSet-Cookie: a=1;307;",
      "NEXT_HTTP_ERROR_FALLBACK;404",
      "NEXT_HTTP_ERROR_FALLBACK;404;",
      "NEXT_HTTP_ERROR_FALLBACK;0x194",
      "NEXT_HTTP_ERROR_FALLBACK; 404",
      "NEXT_HTTP_ERROR_FALLBACK;200",
    ];
    let recognised = 0;
    for (const digest of digests) {
      const error = { digest };
      const signal = navigationSignal(error);
      if (signal === null) continue;
      recognised++;
      if (signal.kind === "redirect") {
        assert.ok(isRedirectError(error), `${digest}: Next redirects too`);
        assert.equal(signal.location, getURLFromRedirectError(error), digest);
        assert.equal(String(signal.status), digest.split(";").at(-2), digest);
      } else {
        assert.ok(isHTTPAccessFallbackError(error), `${digest}: Next falls back too`);
      }
    }
    assert.equal(recognised, 5, "the well-formed ones are read");
    // An absolute URL is redirected to as Next would (its redirect() takes one), byte for byte.
    assert.deepEqual(navigationSignal({ digest: digests[0] }), {
      kind: "redirect",
      location: "https://evil.example",
      status: 307,
    });
  });

  it("reads a long digest in linear time (no backtracking on hostile lengths)", () => {
    const digest = `NEXT_REDIRECT;replace;${";".repeat(200_000)}`;
    const started = process.cpuUsage();
    assert.equal(navigationSignal({ digest }), null);
    const used = process.cpuUsage(started);
    assert.ok(used.user + used.system < 2_000_000, "well under 2 s of CPU");
  });
});

describe("route(): redirect() and notFound() inside a handler", () => {
  function app() {
    const sessions = createSessions({
      secrets: [testSecret()],
      store: memoryStore(),
    });
    return { sessions, ...nextSessions(sessions) };
  }
  // GET handlers (an OAuth callback signs in and redirects): no CSRF token in the way.
  const get = (path: string, cookie = "") =>
    new Request(`https://shop.example${path}`, { headers: { cookie } });

  for (const [version, navigation] of versions) {
    it(`${version}: a login followed by redirect() answers the redirect with the new cookie, saved`, async (t) => {
      if (navigation === null) return t.skip("examples/next15 has no Next.js (npm install)");
      const { sessions, route } = app();
      const signIn = route(async (_request, session) => {
        await session.login("ada");
        return navigation.redirect("/account");
      });
      const response = await signIn(get("/oauth/callback"));
      assert.equal(response.status, 307);
      assert.equal(response.headers.get("location"), "/account");
      assert.equal(response.headers.get("cache-control"), "no-store");
      const setCookie = response.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /^__Host-[^=]+=[^;]+; /);
      const cookie = setCookie.split(";", 1)[0] ?? "";
      const loaded = await sessions.load({ cookie, userAgent: null });
      assert.equal(loaded.userId, "ada", "the session the cookie names is in the store");
    });

    it(`${version}: a logout followed by notFound() answers 404 with the expiring cookie and Clear-Site-Data`, async (t) => {
      if (navigation === null) return t.skip("examples/next15 has no Next.js (npm install)");
      const { sessions, route } = app();
      const session = await sessions.load({ cookie: null, userAgent: null });
      await session.login("ada");
      const saved = await sessions.commit(session);
      const cookie = saved?.setCookie.split(";", 1)[0] ?? "";
      const leave = route(async (_request, current) => {
        await current.logout();
        return navigation.notFound();
      });
      const response = await leave(get("/leave", cookie));
      assert.equal(response.status, 404);
      assert.match(response.headers.get("set-cookie") ?? "", /Max-Age=0/);
      assert.ok(response.headers.get("clear-site-data"));
      assert.equal((await sessions.load({ cookie, userAgent: null })).userId, null);
    });
  }

  it("lets any other error through, with nothing saved", async () => {
    const { sessions, route } = app();
    const session = await sessions.load({ cookie: null, userAgent: null });
    await session.login("ada");
    const cookie = (await sessions.commit(session))?.setCookie.split(";", 1)[0] ?? "";
    const failing = route(async (_request, current) => {
      current.set("notes", ["unsaved"]);
      throw new Error("the handler failed");
    });
    await assert.rejects(failing(get("/x", cookie)), /the handler failed/);
    const after = await sessions.load({ cookie, userAgent: null });
    assert.equal(after.userId, "ada");
    assert.equal(after.get("notes"), undefined);
  });
});

describe("latchkey/next imports nothing of Next's internals", () => {
  it("only next/headers and next/server, in every file of the adapter", () => {
    const files = [
      "adapters/next.ts",
      ...readdirSync("packages/latchkey/src/adapters/next").map((f) => `adapters/next/${f}`),
    ];
    assert.ok(files.length > 3);
    for (const file of files) {
      const source = readFileSync(`packages/latchkey/src/${file}`, "utf8");
      const imported = [...source.matchAll(/from "(next[^"]*)"/g)].map((m) => m[1]);
      for (const name of imported) {
        assert.ok(["next/headers.js", "next/server.js"].includes(name ?? ""), `${file}: ${name}`);
      }
    }
  });
});
