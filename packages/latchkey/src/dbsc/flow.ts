import type { PendingCommit } from "../core/commit.ts";
import { rawCookieValue } from "../core/cookies.ts";
import type { EventSink } from "../core/emit.ts";
import type { SessionEvent } from "../core/events.ts";
import type { RequestState } from "../core/state.ts";
import { encodeBase64url } from "../crypto/encoding.ts";
import { randomBytesPooled } from "../crypto/random.ts";
import type { Store } from "../stores/types.ts";
import { type DeviceBoundAnswer, jsonAnswer, refusedAnswer } from "./answers.ts";
import { BINDING_KEY, type Binding, bindingOf, holdsForeignBinding } from "./binding.ts";
import { boundCookieLine, expiredBoundCookieLine, judgeBoundCookie } from "./bound-cookie.ts";
import { challengeQuota } from "./challenge-quota.ts";
import { consumeChallenge, issueChallenge } from "./challenges.ts";
import { retireEarlierSeals } from "./earlier-seals.ts";
import { keyObjectFor, publicJwkFor, thumbprintOf } from "./jwk.ts";
import type { ResolvedDeviceBound } from "./options.ts";
import { type ParsedProof, parseProof, signatureValid } from "./proof.ts";
import { readStringHeader, sfString } from "./structured.ts";

// The DBSC server side, request-free like the rest of the core: the adapter hands over the
// method, target, cookie header and a header reader; this decides whether latchkey answers the
// request itself (the registration and refresh endpoints, or a refusal) and what the login
// response offers. Header names are those Chrome ships (Secure-Session-*, Sec-Secure-Session-Id);
// the `Sec-Session-Response` spelling of Chrome's first builds is still read.

/** What `inspect` reads from a request. */
export interface DeviceBoundRequest {
  readonly cookie?: string | null | undefined;
  readonly method?: string | undefined;
  /** The request target: a path with its query, or an absolute URL. */
  readonly url?: string | undefined;
  readonly header?: ((name: string) => string | null | undefined) | undefined;
}

export interface DeviceBoundFlow {
  /** After the session loaded: the answer latchkey gives instead of the application, or null. */
  inspect(
    state: RequestState,
    request: DeviceBoundRequest,
  ): DeviceBoundAnswer | null | Promise<DeviceBoundAnswer | null>;
  /** The end of the request: a login's response also offers registration. */
  prepare(state: RequestState, prepare: () => PendingCommit): PendingCommit;
}

export function deviceBoundFlow(
  dbsc: ResolvedDeviceBound,
  challenges: Store,
  now: () => number,
  emit: EventSink,
): DeviceBoundFlow {
  // The sid each request loaded with: a different one at the end means login or reauthentication.
  const loadedSid = new WeakMap<RequestState, string | null>();
  const quota = challengeQuota(dbsc.challengeMs);

  function sessionConfig(binding: Binding): unknown {
    return {
      session_identifier: binding.id,
      refresh_url: dbsc.refreshPath,
      // Origin-scoped (the origin the registration was served from), every path of it.
      scope: { include_site: false, scope_specification: [] },
      credentials: [
        { type: "cookie", name: dbsc.cookieName, attributes: dbsc.cookieAttributeText },
      ],
    };
  }

  function withBoundCookie(binding: Binding): DeviceBoundAnswer {
    return jsonAnswer(200, sessionConfig(binding), {
      "set-cookie": boundCookieLine(dbsc, binding.id, now()),
    });
  }

  function proofOf(request: DeviceBoundRequest): ParsedProof | DeviceBoundAnswer | null {
    const raw =
      request.header?.("secure-session-response") ?? request.header?.("sec-session-response");
    if (raw === null || raw === undefined) return null;
    const text = readStringHeader(raw);
    if (text === null) return refusedAnswer(400, "proof-malformed");
    const proof = parseProof(text, dbsc.algorithms);
    if (proof === "malformed") return refusedAnswer(400, "proof-malformed");
    if (proof === "algorithm-refused") return refusedAnswer(400, "algorithm-refused");
    return proof;
  }

  async function register(
    state: RequestState,
    request: DeviceBoundRequest,
  ): Promise<DeviceBoundAnswer> {
    const meta = state.meta;
    if (meta === null) return refusedAnswer(401, "no-session");
    if (bindingOf(state) !== null) return refusedAnswer(400, "already-bound");
    const proof = proofOf(request);
    if (proof === null) return refusedAnswer(400, "proof-missing");
    if (!("jti" in proof)) return proof;
    const jwk = publicJwkFor(proof.jwk, proof.alg);
    const key = jwk === null ? null : keyObjectFor(jwk);
    if (jwk === null || key === null) return refusedAnswer(400, "key-invalid");
    if (!signatureValid(proof, key)) return refusedAnswer(400, "signature-invalid");
    // Only after the signature: a forged proof never uses up the session's real challenge.
    if (!(await consumeChallenge(challenges, proof.jti, "register", meta.sid, now()))) {
      return refusedAnswer(400, "challenge-invalid");
    }
    const binding: Binding = {
      id: encodeBase64url(randomBytesPooled(16)),
      sid: meta.sid,
      alg: proof.alg,
      jwk,
    };
    state.write(BINDING_KEY, binding);
    // Sealed sessions: the seals issued before now carry no binding; copies of them must die.
    await retireEarlierSeals(challenges, state, now(), dbsc);
    emit({ ...eventOf(state, "device-bound-registered", binding, now()), reason: binding.alg });
    return withBoundCookie(binding);
  }

  async function challenge(
    binding: Binding,
    reason: "proof-missing" | "challenge-invalid",
  ): Promise<DeviceBoundAnswer> {
    if (!quota.take(binding.id, now())) {
      return refusedAnswer(429, "too-many-challenges", { "retry-after": "60" });
    }
    const value = await issueChallenge(challenges, "refresh", binding.id, now(), dbsc.challengeMs);
    // Spec §"Secure-Session-Challenge": 403 asks the browser to sign this challenge and retry.
    return refusedAnswer(403, reason, {
      "secure-session-challenge": `${sfString(value)};id=${sfString(binding.id)}`,
    });
  }

  async function refresh(
    state: RequestState,
    request: DeviceBoundRequest,
  ): Promise<DeviceBoundAnswer> {
    const binding = bindingOf(state);
    // Any 4xx but 403 ends the browser's DBSC session: right when the server session is gone.
    if (binding === null) return refusedAnswer(401, "no-session");
    const id = readStringHeader(request.header?.("sec-secure-session-id"));
    if (id !== binding.id) return refusedAnswer(401, "session-id-mismatch");
    const proof = proofOf(request);
    if (proof === null) return challenge(binding, "proof-missing");
    if (!("jti" in proof)) return proof;
    if (proof.alg !== binding.alg) return refusedAnswer(400, "algorithm-refused");
    const key = keyObjectFor(binding.jwk);
    if (key === null || !signatureValid(proof, key)) return refusedAnswer(400, "signature-invalid");
    // Expired, used, or not this binding's: a fresh one, as the spec's retry expects.
    if (!(await consumeChallenge(challenges, proof.jti, "refresh", binding.id, now()))) {
      return challenge(binding, "challenge-invalid");
    }
    emit(eventOf(state, "device-bound-refreshed", binding, now()));
    return withBoundCookie(binding);
  }

  function enforce(state: RequestState, request: DeviceBoundRequest): DeviceBoundAnswer | null {
    const binding = bindingOf(state);
    if (binding === null) return null;
    const value = request.cookie ? rawCookieValue(request.cookie, dbsc.cookieName) : undefined;
    const verdict = judgeBoundCookie(dbsc, value, binding.id, now());
    if (verdict === "valid") return null;
    // A DBSC browser refreshes before sending a request without a live bound cookie, so this is a
    // copy of the session cookie elsewhere, or a browser whose key is gone. Either way the
    // application never sees the session, nothing is written, and the browser drops both cookies
    // (the user can sign in again; the session itself lives on for the device that holds the key).
    const reason = `bound-cookie-${verdict}` as const;
    emit({ ...eventOf(state, "device-bound-refused", binding, now()), reason });
    state.reset();
    state.staleCookie = true;
    return {
      ...refusedAnswer(403, reason, { "set-cookie": expiredBoundCookieLine(dbsc) }),
      unbound: reason,
    };
  }

  /**
   * An endpoint's answer; one that is not a success leaves the session exactly as it was: no
   * touch, no periodic rotation. Whoever holds only the session cookie (a thief) can reach these
   * endpoints, and a rotation they set off would end the real browser's token after its grace
   * window. A refusal is reported, except the 403 that hands a browser its challenge (the
   * ordinary first step of every refresh).
   */
  async function settled(
    state: RequestState,
    answering: Promise<DeviceBoundAnswer>,
  ): Promise<DeviceBoundAnswer> {
    const answer = await answering;
    if (answer.status === 200) return answer;
    if (answer.reason !== undefined && answer.reason !== "proof-missing") {
      emit({
        ...eventOf(state, "device-bound-refused", bindingOf(state), now()),
        reason: answer.reason,
      });
    }
    state.reset();
    return answer;
  }

  return {
    inspect(state, request) {
      loadedSid.set(state, state.meta?.sid ?? null);
      if (request.method === "POST" && request.url !== undefined) {
        const path = pathOf(request.url);
        if (path === dbsc.registrationPath) return settled(state, register(state, request));
        if (path === dbsc.refreshPath) return settled(state, refresh(state, request));
      }
      return enforce(state, request);
    },

    prepare(state, prepare) {
      const meta = state.meta;
      const loggedIn =
        meta !== null && meta.userId !== null && !state.ended && meta.sid !== loadedSid.get(state);
      if (!loggedIn) return prepare();
      if (holdsForeignBinding(state)) state.remove(BINDING_KEY);
      const inner = prepare();
      const sid = meta.sid;
      const pending = {
        headers: inner.headers,
        writes: true as const,
        persist: async () => {
          await inner.persist();
          const headers = inner.headers;
          pending.headers = headers;
          if (headers === null) return;
          let value: string;
          try {
            value = await issueChallenge(challenges, "register", sid, now(), dbsc.challengeMs);
          } catch {
            // The login itself is saved; without a challenge it is simply not offered DBSC (the
            // store failure was already reported by the fail-closed wrapper).
            return;
          }
          pending.headers = {
            ...headers,
            extraHeaders: {
              "secure-session-registration": `${dbsc.offerPrefix};challenge=${sfString(value)}`,
            },
          };
        },
      };
      return pending;
    },
  };
}

/** A DBSC session event: the session's ref and user, the key's thumbprint; never a token or proof. */
function eventOf(
  state: RequestState,
  type: SessionEvent["type"],
  binding: Binding | null,
  at: number,
): SessionEvent {
  const event: SessionEvent = { type, at };
  if (state.ref !== null) event.ref = state.ref;
  const userId = state.meta?.userId;
  if (userId !== null && userId !== undefined) event.userId = userId;
  if (binding !== null) event.thumbprint = thumbprintOf(binding.jwk);
  return event;
}

/** The path of a request target, without its query; null when it cannot be read. */
function pathOf(url: string): string | null {
  if (url.startsWith("/")) {
    const query = url.indexOf("?");
    return query === -1 ? url : url.slice(0, query);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}
