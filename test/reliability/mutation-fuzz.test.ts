// Mutation fuzz of the session cookie: real cookies minted by the engine (login + values), damaged
// in every way a network, a proxy or an attacker can, and presented to `sessions.load()`. Nothing
// may throw, and no damaged value may open the original's session. A value that, once the Cookie
// header is parsed, is byte-for-byte the original (a quoted or percent-encoded spelling) is the
// original: those must open it, which also proves the acceptance check below can fire.
//
// Replay a failure with LATCHKEY_FUZZ_SEED=<seed> (printed with every failure and at the start);
// LATCHKEY_FUZZ_CASES changes the number of cases per mode (default 100000).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "cookie";
import {
  createSessions,
  type SessionData,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { testSecret } from "../helpers/secrets.ts";
import { type Corpus, mutate } from "./support/mutations.ts";
import { fuzzSeed, rng } from "./support/prng.ts";

type Values = SessionData & Record<string, unknown>;

const CASES = Number(process.env.LATCHKEY_FUZZ_CASES ?? 100_000);
const SEED = fuzzSeed();

interface Original {
  value: string;
  userId: string;
  marker: string;
}

/** Logs a fresh session in, stores values, and returns the cookie value its Set-Cookie carries. */
async function mint(sessions: Sessions<Values>, i: number, persistent: boolean): Promise<Original> {
  const session = await sessions.load({});
  const userId = `user-${i}`;
  await session.login(userId, { persistent });
  const marker = `marker-${i}-${"x".repeat(i * 7)}`;
  session.set("marker", marker);
  session.set("roles", i % 2 === 0 ? ["admin"] : ["reader", "writer"]);
  session.set("cart", { items: Array.from({ length: i % 5 }, (_, k) => `sku-${k}`) });
  const headers = await sessions.commit(session);
  assert.ok(headers !== null, "login sends a cookie");
  const pair = headers.setCookie.split(";")[0] as string;
  const value = pair.slice(pair.indexOf("=") + 1);
  return { value, userId, marker };
}

interface Tally {
  /** Exact copies of a genuine value (splices that landed on one): they must open their session. */
  equivalent: number;
  /** A genuine value in another spelling (%-encoded, space-wrapped, quoted): it must not open. */
  respelled: number;
  reasons: Record<string, number>;
  failures: string[];
  failureCount: number;
}

async function fuzz(
  sessions: Sessions<Values>,
  events: SessionEvent[],
  originals: readonly Original[],
  corpus: Corpus,
  salt: number,
): Promise<Tally> {
  const name = sessions.cookieName;
  const tally: Tally = {
    equivalent: 0,
    respelled: 0,
    reasons: {},
    failures: [],
    failureCount: 0,
  };
  const fail = (index: number, steps: string[], header: string, what: string) => {
    tally.failureCount++;
    if (tally.failures.length < 15) {
      const shown =
        header.length > 300 ? `${header.slice(0, 300)}… (${header.length} chars)` : header;
      tally.failures.push(
        `seed ${SEED} case ${index} [${steps.join(" → ")}]: ${what}\n      ${JSON.stringify(shown)}`,
      );
    }
  };

  const genuine = new Map(originals.map((o) => [o.value, o]));
  for (let index = 0; index < CASES; index++) {
    const r = rng(SEED, (index * 2 + salt) >>> 0);
    const original = r.pick(originals);
    const { header, steps } = mutate(original.value, name, corpus, r);
    // latchkey looks a session up by the value exactly as the header spells it: splices of real
    // values can land on another genuine value, and that one is its own session. The same value
    // trimmed, unquoted or percent-decoded (what `cookie.parse` would read) is another spelling,
    // which no browser that stored latchkey's cookie sends: it must be refused like any damage.
    const exact = exactCookieValue(header, name);
    const denotes = exact === undefined ? undefined : genuine.get(exact);
    const decoded = parse(header)[name];
    const respelled =
      denotes === undefined && decoded !== undefined && genuine.has(decoded) ? 1 : 0;
    tally.respelled += respelled;
    // Two cookies of the session's name: refusing both and reading the first are both safe.
    const duplicated = namedCookies(header, name) > 1;
    if (denotes !== undefined && !duplicated) tally.equivalent++;
    events.length = 0;
    try {
      const session = await sessions.load({ cookie: header });
      const accepted =
        !session.isNew || session.userId !== null || session.get("marker") !== undefined;
      if (accepted && denotes === undefined) {
        fail(
          index,
          steps,
          header,
          `ACCEPTED as user ${session.userId} (original: ${original.userId})`,
        );
      } else if (
        accepted &&
        (session.userId !== denotes?.userId || session.get("marker") !== denotes?.marker)
      ) {
        fail(
          index,
          steps,
          header,
          `opened as ${session.userId}, but the value is ${denotes?.userId}'s`,
        );
      } else if (!accepted && denotes !== undefined && !duplicated) {
        fail(
          index,
          steps,
          header,
          "a genuine value, in its exact spelling, did not open its session",
        );
      }
      const pending = sessions.prepare(session);
      await pending.persist();
      // Read after persist(): the store work may still change what the response carries.
      const setCookie = pending.headers?.setCookie;
      if (denotes === undefined && setCookie !== undefined && !/;\s*Max-Age=0/i.test(setCookie)) {
        fail(index, steps, header, `a damaged value got a live cookie: ${setCookie}`);
      }
    } catch (error) {
      fail(index, steps, header, `threw ${(error as Error)?.stack ?? String(error)}`);
    }
    if (denotes === undefined) {
      const event = events.find((e) => e.type === "tampered" || e.type === "unknown-id");
      const reason = event === undefined ? "no-cookie" : `${event.type}:${event.reason ?? "-"}`;
      tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
    }
  }
  return tally;
}

/** How many cookies in `header` are named exactly `name` (names are compared trimmed, as parsed). */
/** The first value of cookie `name`, exactly as spelled between "=" and ";" (nothing trimmed or decoded). */
function exactCookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1);
  }
  return undefined;
}

function namedCookies(header: string, name: string): number {
  return header.split(";").filter((pair) => {
    const eq = pair.indexOf("=");
    return eq !== -1 && pair.slice(0, eq).trim() === name;
  }).length;
}

function report(label: string, tally: Tally, started: number): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const reasons = Object.entries(tally.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(
    `  ${label}: ${CASES} mutants (seed ${SEED}) in ${seconds}s; equivalent spellings ${tally.equivalent}; refused by ${reasons}`,
  );
  assert.equal(
    tally.failureCount,
    0,
    `${tally.failureCount} failing mutants (LATCHKEY_FUZZ_SEED=${SEED}):\n    ${tally.failures.join("\n    ")}`,
  );
}

function deep(tally: Tally, reasons: string[]): number {
  return reasons.reduce((sum, r) => sum + (tally.reasons[r] ?? 0), 0);
}

describe("mutation fuzz of session cookies", { timeout: 150_000 }, () => {
  it("sealed cookies (cookieStore): no damaged value opens a session, nothing throws", async () => {
    const [current, older] = [testSecret(), testSecret()];
    const events: SessionEvent[] = [];
    const sessions = createSessions<Values>({
      secrets: [current, older],
      store: cookieStore(),
      onEvent: (e) => events.push(e),
    });
    // Half the originals are sealed under the older secret: they open (and are re-sealed), so key
    // id handling is fuzzed on both keys.
    const retired = createSessions<Values>({ secrets: [older], store: cookieStore() });
    const originals: Original[] = [];
    for (let i = 0; i < 12; i++) {
      originals.push(await mint(i % 2 === 0 ? sessions : retired, i, i % 3 === 0));
    }
    const keyIds = [...new Set(originals.map((o) => o.value.split(".")[1] as string))];
    assert.equal(keyIds.length, 2, "originals under both keys");
    for (const o of originals) {
      const s = await sessions.load({ cookie: `${sessions.cookieName}=${o.value}` });
      assert.equal(s.userId, o.userId, "every original opens before it is damaged");
    }

    const started = performance.now();
    const tally = await fuzz(
      sessions,
      events,
      originals,
      { kind: "sealed", originals: originals.map((o) => o.value), keyIds },
      0,
    );
    report("sealed", tally, started);
    // Most mutants must get past the format checks to the AES-GCM tag, or the fuzz proves little.
    assert.ok(deep(tally, ["tampered:does-not-open"]) > CASES / 10, "mutants reach the GCM check");
    assert.ok(tally.equivalent > 0, "some exact copies of a genuine value were tried");
    assert.ok(
      tally.respelled > 0,
      "some other spellings of a genuine value were tried (and refused)",
    );
  });

  it("server tokens (memoryStore): no damaged token opens a session, nothing throws", async () => {
    const [current, older] = [testSecret(), testSecret()];
    const events: SessionEvent[] = [];
    const store = memoryStore();
    const sessions = createSessions<Values>({
      secrets: [current, older],
      store,
      onEvent: (e) => events.push(e),
    });
    // Tokens whose id is MACed with the older secret are still valid: both keys get fuzzed.
    const retired = createSessions<Values>({ secrets: [older], store });
    const originals: Original[] = [];
    for (let i = 0; i < 12; i++) {
      originals.push(await mint(i % 2 === 0 ? sessions : retired, i, i % 3 === 0));
    }
    for (const o of originals) {
      const s = await sessions.load({ cookie: `${sessions.cookieName}=${o.value}` });
      assert.equal(s.userId, o.userId, "every original opens before it is damaged");
    }

    const started = performance.now();
    const tally = await fuzz(
      sessions,
      events,
      originals,
      {
        kind: "token",
        originals: originals.map((o) => o.value),
        keyIds: [],
      },
      1,
    );
    report("tokens", tally, started);
    assert.ok(deep(tally, ["tampered:bad-mac"]) > CASES / 20, "mutants reach the id MAC");
    assert.ok(
      deep(tally, ["tampered:bad-secret", "unknown-id:-"]) > CASES / 50,
      "mutants with a genuine id reach the store and the secret check",
    );
    assert.ok(tally.equivalent > 0, "some exact copies of a genuine value were tried");
    assert.ok(
      tally.respelled > 0,
      "some other spellings of a genuine value were tried (and refused)",
    );
  });
});
