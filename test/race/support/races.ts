// The races, each one trial: a request is held between its load and its commit while something
// else happens, then released. Each returns the violations it saw (empty: the trial passed), so a
// test can run many trials and report every failure at once.
import { randomBytes } from "node:crypto";
import {
  type AppProcess,
  call,
  cookieSet,
  hold,
  liveCount,
  loggedIn,
  pause,
  whoIs,
} from "./app-cluster.ts";

export type Race = (apps: readonly AppProcess[], trial: number) => Promise<string[]>;

const fresh = (label: string) => `${label}${randomBytes(5).toString("hex")}`;

// Past the "m" engine's rotateEvery (1 s, see race-app.ts): the next request rotates.
const ROTATION_DUE_MS = 1_050;

/** Nothing of `user` is live, and none of `cookies` authenticates anyone. */
async function nothingAlive(
  app: AppProcess,
  user: string,
  cookies: Record<string, string | undefined>,
  countable: boolean,
): Promise<string[]> {
  const violations: string[] = [];
  for (const [what, value] of Object.entries(cookies)) {
    if (value === "cleared") continue;
    const { userId } = await whoIs(app, value);
    if (userId !== null) violations.push(`${what} still authenticates as ${userId}`);
  }
  if (countable) {
    const live = await liveCount(app, user);
    if (live !== 0) violations.push(`${live} live session(s) after the revocation`);
  }
  return violations;
}

/**
 * A request that writes (and, on /m, commits a rotation) is in flight while `revoke` ends its
 * session from another process: afterwards nothing of the session lives.
 */
function revokedInFlight(
  engine: "m" | "v",
  revoke: "revoke-user" | "logout",
  countable: boolean,
): Race {
  return async ([a, b, c]) => {
    const user = fresh("u");
    const jar = await loggedIn(a as AppProcess, "v", user);
    await pause(ROTATION_DUE_MS);
    const held = await hold(b as AppProcess, `/${engine}/hold?key=k`, fresh("h"), jar.header);
    if (revoke === "revoke-user")
      await call(c as AppProcess, "POST", `/v/revoke-user?user=${user}`);
    else await call(c as AppProcess, "POST", "/v/logout", jar.header);
    const reply = await held.finish();
    return nothingAlive(
      a as AppProcess,
      user,
      { "the presented cookie": jar.value, "the in-flight response's cookie": cookieSet(reply) },
      countable,
    );
  };
}

export const revokeUserVsRotation = (countable: boolean) =>
  revokedInFlight("m", "revoke-user", countable);
export const logoutVsRotation = (countable: boolean) => revokedInFlight("m", "logout", countable);
export const revokeUserVsWrite = (countable: boolean) =>
  revokedInFlight("v", "revoke-user", countable);

/** rotate() of a session revoked in flight rejects with session-revoked and hands out nothing live. */
export function revokeUserVsRotate(countable: boolean): Race {
  return async ([a, b, c]) => {
    const user = fresh("u");
    const jar = await loggedIn(a as AppProcess, "v", user);
    const held = await hold(b as AppProcess, "/v/hold?action=rotate", fresh("h"), jar.header);
    await call(c as AppProcess, "POST", `/v/revoke-user?user=${user}`);
    const reply = await held.finish();
    const violations: string[] = [];
    if (reply.status !== 409 || !reply.body.includes("session-revoked")) {
      violations.push(`rotate() answered ${reply.status} ${reply.body}, not session-revoked`);
    }
    if (cookieSet(reply) !== "cleared")
      violations.push("rotate()'s response did not clear the cookie");
    violations.push(
      ...(await nothingAlive(
        a as AppProcess,
        user,
        { "the presented cookie": jar.value },
        countable,
      )),
    );
    return violations;
  };
}

/**
 * Two requests on two processes rotate the same token at once, each writing its own key: one live
 * session afterwards, holding both keys, reachable from every cookie handed out, and one logout
 * ends it all.
 */
export const twoRotations: Race = async ([a, b, c]) => {
  const user = fresh("u");
  const jar = await loggedIn(a as AppProcess, "v", user);
  await pause(ROTATION_DUE_MS);
  const first = await hold(b as AppProcess, "/m/hold?key=k1", fresh("h"), jar.header);
  const second = await hold(c as AppProcess, "/m/hold?key=k2", fresh("h"), jar.header);
  const replies = await Promise.all([first.finish(), second.finish()]);
  const violations: string[] = [];
  const issued = replies.map(cookieSet).filter((v) => v !== undefined);
  if (issued.length !== 1 || issued[0] === "cleared") {
    violations.push(
      `responses set ${JSON.stringify(issued.map((v) => v?.slice(0, 4)))}, not one new cookie`,
    );
  }
  const live = await liveCount(a as AppProcess, user);
  if (live !== 1) violations.push(`${live} live sessions after two rotations (fork)`);
  const cookies = { "the presented cookie": jar.value, "the new cookie": issued[0] };
  for (const [what, value] of Object.entries(cookies)) {
    const seen = await whoIs(a as AppProcess, value, ["k1", "k2"]);
    if (seen.userId !== user) violations.push(`${what} does not authenticate`);
    for (const key of ["k1", "k2"]) {
      if (seen.values[key] !== "written") violations.push(`${what}: the write of ${key} was lost`);
    }
  }
  await call(a as AppProcess, "POST", "/v/logout", jar.header);
  violations.push(...(await nothingAlive(a as AppProcess, user, cookies, true)));
  return violations;
};

/** `count` logins of one user at once, spread over the processes, never leave more than 2 live. */
export function limitedLogins(policy: "refuse" | "evict-oldest", count: number): Race {
  const engine = policy === "refuse" ? "r" : "e";
  return async (apps) => {
    const user = fresh("u");
    const held = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        hold(
          apps[i % apps.length] as AppProcess,
          `/${engine}/hold?action=login&user=${user}`,
          fresh("h"),
        ),
      ),
    );
    const replies = await Promise.all(held.map((h) => h.finish()));
    const violations: string[] = [];
    const live = await liveCount(apps[0] as AppProcess, user);
    if (live > 2 || live < 1) violations.push(`${live} live sessions with a limit of 2`);
    const succeeded = replies.filter((r) => r.status === 200).length;
    if (policy === "refuse" && succeeded > 2) violations.push(`${succeeded} logins accepted`);
    if (policy === "evict-oldest" && succeeded !== count) {
      violations.push(`${count - succeeded} logins failed under evict-oldest`);
    }
    return violations;
  };
}

/** Runs `trials` trials of `race` one after another; every violation, labelled by trial. */
export async function runTrials(
  apps: readonly AppProcess[],
  race: Race,
  trials: number,
): Promise<string[]> {
  const all: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    for (const violation of await race(apps, trial)) all.push(`trial ${trial}: ${violation}`);
  }
  return all;
}
