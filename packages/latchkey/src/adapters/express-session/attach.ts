import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sessions } from "../../core/engine.ts";
import { LatchkeyError } from "../../core/errors.ts";
import type { Session } from "../../core/session.ts";
import { requestInfo } from "../kit/node-response.ts";
import { cookieView } from "./cookie-view.ts";
import { type AnyExpressSession, sessionFacade } from "./facade.ts";
import { type UserIdOf, userIdString } from "./user-id.ts";

// express-session's regenerate() starts a new empty session before anyone knows who the user is:
// Passport calls it, then sets `req.session.passport.user`, then save(). latchkey issues a new
// token when it learns the user (`login()`), so regenerate() only empties the data and remembers
// that a new token is due; save() and the end of the response read the user from the data and
// carry out what it asks: login (new token, old destroyed, user known to listing and
// revocation), logout, or a plain rotation. A user that appears in the data without regenerate()
// is logged in the same way: a privilege change always gets a new token.

type Step = "login" | "logout" | "rotate" | null;
type Callback = (error?: unknown) => void;

/** What `req` looks like once the facade is attached. */
type CompatRequest = IncomingMessage & { session: unknown; sessionID?: string };

export function attachExpressSession<T extends object>(
  sessions: Sessions<T>,
  session: Session<T>,
  req: IncomingMessage,
  res: ServerResponse,
  userIdOf: UserIdOf,
  failed: (error: unknown) => void,
): AnyExpressSession {
  const real = session as Session<object>;
  let regenerated = false;
  let facade: AnyExpressSession;

  const plan = (): { step: Step; user: string | null } => {
    const user = userIdString(userIdOf(facade));
    const current = real.userId;
    if (user !== null) return { step: user !== current || regenerated ? "login" : null, user };
    if (current !== null) return { step: "logout", user };
    return { step: regenerated && !real.isNew ? "rotate" : null, user };
  };
  const sync = async (): Promise<void> => {
    const { step, user } = plan();
    regenerated = false;
    // "all": regenerate() already emptied the data; without it, express-session kept every value.
    if (step === "login") await real.login(user as string, { keep: "all" });
    else if (step === "logout") await real.logout();
    else if (step === "rotate") await real.rotate();
  };
  const settle = (work: Promise<void>, callback: Callback | undefined) => {
    work.then(
      () => callback?.(),
      // Without a callback the end of the response tries again and answers the failure.
      (error: unknown) => callback?.(error),
    );
  };
  // A login that failed must not leave its user in the data, saved under the old token.
  const abandon = (error: unknown) => {
    try {
      for (const key of real.keys()) (real as Session<Record<string, unknown>>).delete(key);
    } catch {
      // The session ended (logout): nothing is left to save.
    }
    failed(error);
  };

  facade = sessionFacade(real, {
    cookie: cookieView(real, sessions.cookieAttributes),
    regenerate(callback) {
      for (const key of real.keys()) (real as Session<Record<string, unknown>>).delete(key);
      regenerated = true;
      process.nextTick(callback);
    },
    save: (callback) => settle(sync(), callback),
    destroy: (callback) => {
      regenerated = false;
      settle(
        real.logout().then(() => {}),
        callback,
      );
    },
    reload: (callback) => settle(reload(sessions, real, req), callback),
    // latchkey refreshes the idle clock itself on activity (throttled writes): nothing to reset.
    touch: () => {},
  });

  const request = req as CompatRequest;
  request.session = facade;
  Object.defineProperty(request, "sessionID", {
    get: () => real.ref ?? undefined,
    configurable: true,
    enumerable: true,
  });

  const end = res.end;
  res.end = function endAfterUserSync(this: ServerResponse, ...args: unknown[]) {
    res.end = end;
    const send = () => (end as (...a: unknown[]) => ServerResponse).apply(res, args);
    let step: Step;
    try {
      step = plan().step;
    } catch (error) {
      abandon(error);
      return res;
    }
    if (step === null) return send();
    if (res.headersSent) {
      // The headers (and any cookie) are gone: the new token can no longer reach the browser.
      res.destroy(
        new LatchkeyError(
          "mount-order",
          "The session's user changed after the response began streaming; call req.session.save() before writing the response.",
        ),
      );
      return res;
    }
    sync().then(send, abandon);
    return res;
  } as ServerResponse["end"];
  return facade;
}

// express-session's reload() reads the stored session again, dropping this request's changes.
// Only keys whose stored value differs are set: the write that follows carries the stored values,
// not a stale copy of the rest.
async function reload(
  sessions: Sessions<object>,
  session: Session<object>,
  req: IncomingMessage,
): Promise<void> {
  const fresh = (await sessions.load(requestInfo(req))) as Session<Record<string, unknown>>;
  if (fresh.ref === null || fresh.ref !== session.ref) {
    throw new LatchkeyError(
      "session-revoked",
      "req.session.reload(): the request's session is no longer in the store (ended, or replaced earlier in this request).",
    );
  }
  const current = session as Session<Record<string, unknown>>;
  for (const key of current.keys()) if (!fresh.has(key)) current.delete(key);
  for (const key of fresh.keys()) {
    const value = fresh.get(key);
    if (JSON.stringify(value) !== JSON.stringify(current.get(key))) current.set(key, value);
  }
}
