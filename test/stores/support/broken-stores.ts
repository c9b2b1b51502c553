// Stores with the mistakes the conformance suite exists to catch, each run through the suite
// (by conformance-catches.test.ts, in a child process) to prove the suite notices.
import { memoryStore } from "../../../packages/latchkey/src/stores/memory.ts";
import type { Store, StoredSession } from "../../../packages/latchkey/src/stores/types.ts";
import { checkChange, checkUserId } from "../../../packages/latchkey/src/stores/validate.ts";
import { describeStoreConformance } from "../../../packages/latchkey/src/testing/index.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** `entry` rotated away: pointing at `successor` until `until`. */
const pointerOf = (entry: StoredSession, successor: string, until: number): StoredSession => ({
  ...entry,
  meta: { ...entry.meta, successor, expiresAt: until },
});

/** Read, modify, write the whole record: concurrent change sets overwrite each other. */
function overwriting(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async update(ref, change) {
      checkChange("update", change); // its one mistake is the overwrite, not this
      const entry = await inner.get(ref);
      if (entry === null || entry.meta.successor !== null) return false;
      await tick();
      const data = { ...entry.data, ...change.set };
      for (const key of change.delete ?? []) delete data[key];
      await inner.create(ref, { ...entry, meta: { ...entry.meta, ...change.meta }, data });
      return true;
    },
  };
}

/** An update of a missing session creates it. */
function resurrecting(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async update(ref, change) {
      if ((await inner.get(ref)) === null) {
        const meta = { ...change.meta } as StoredSession["meta"];
        await inner.create(ref, { secretHash: "", meta, data: { ...change.set } });
        return true;
      }
      return inner.update(ref, change);
    },
  };
}

/** Stores values parsed (like PostgreSQL jsonb): texts come back re-formatted. */
function reformatting(): Store {
  const inner = memoryStore();
  const normal = (data: Record<string, string>) =>
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, JSON.stringify(JSON.parse(v))]));
  return {
    ...inner,
    create: (ref, s) => inner.create(ref, { ...s, data: normal(s.data) }),
  };
}

/** deleteAll() also forgets revocation marks (revokeAll would undo itself). */
function forgetful(): Store {
  const inner = memoryStore();
  let marks = new Map<string, number>();
  return {
    ...inner,
    async deleteAll() {
      await inner.deleteAll();
      marks = new Map();
    },
    async markRevoked(key, at, until) {
      await inner.revokedSince([key]); // the argument checks; its one mistake is deleteAll()
      marks.set(key, Math.max(at, marks.get(key) ?? 0));
      void until;
    },
    async revokedSince(keys) {
      await inner.revokedSince(keys);
      return Math.max(0, ...keys.map((k) => marks.get(k) ?? 0));
    },
  };
}

/** Lists rotated-away tokens too. */
function listsRotated(): Store {
  const inner = memoryStore();
  const all = new Map<string, StoredSession>();
  return {
    ...inner,
    async create(ref, s) {
      all.set(ref, s);
      await inner.create(ref, s);
    },
    async listByUser(userId) {
      const listed = await inner.listByUser(userId);
      for (const [ref] of all) {
        const entry = await inner.get(ref);
        if (entry?.meta.userId === userId && entry.meta.successor !== null)
          listed.push({ ref, meta: entry.meta });
      }
      return listed;
    },
  };
}

describeStoreConformance("overwriting", overwriting);
describeStoreConformance("resurrecting", resurrecting);
describeStoreConformance("reformatting", reformatting);
describeStoreConformance("forgetful", forgetful);
describeStoreConformance("lists-rotated", listsRotated);

/** Claims by reading, then writing: concurrent claims all see "no successor" and all win. */
function racyClaim(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async claim(ref, successor, pointerUntil) {
      const entry = await inner.get(ref);
      if (entry === null) return { claimed: false, successor: null };
      if (entry.meta.successor !== null) return { claimed: false, successor: entry.meta.successor };
      await tick();
      if (pointerUntil === 0) await inner.delete(ref);
      else await inner.create(ref, pointerOf(entry, successor, pointerUntil));
      return { claimed: true };
    },
  };
}

/** Deletes only the entries named, not the successors rotations gave them. */
function chainBlind(): Store {
  const inner = memoryStore();
  const known = new Set<string>();
  const deleteOne = async (ref: string) => {
    // Cut the link (rewriting the entry: an update leaves a pointer alone), then delete.
    const entry = await inner.get(ref);
    if (entry !== null)
      await inner.create(ref, { ...entry, meta: { ...entry.meta, successor: null } });
    await inner.delete(ref);
  };
  return {
    ...inner,
    async create(ref, s) {
      known.add(ref);
      await inner.create(ref, s);
    },
    delete: deleteOne,
    async deleteByUser(userId) {
      checkUserId("deleteByUser", userId); // its one mistake is the chains, not this
      let removed = 0;
      for (const ref of known) {
        if ((await inner.get(ref))?.meta.userId !== userId) continue;
        await deleteOne(ref);
        removed++;
      }
      return removed;
    },
  };
}

/** Counts the user's sessions, then creates: concurrent logins all see room. */
function checkThenAct(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async createWithinLimit(ref, session, limit) {
      const userId = session.meta.userId as string;
      const live = (await inner.listByUser(userId)).filter(
        (s) => s.meta.expiresAt > limit.now && s.ref !== limit.exceptRef,
      );
      await tick();
      if (live.length + 1 > limit.limit && limit.policy === "refuse") {
        return { created: false, live: live.length };
      }
      const excess = Math.max(0, live.length + 1 - limit.limit);
      const evicted = live
        .sort((a, b) => a.meta.createdAt - b.meta.createdAt || (a.ref < b.ref ? -1 : 1))
        .slice(0, excess)
        .map((s) => s.ref);
      for (const e of evicted) await inner.delete(e);
      await inner.create(ref, session);
      return { created: true, evicted };
    },
  };
}

/**
 * Passes whatever it is given to its backend, which (as PostgreSQL does) rejects a NUL byte with
 * a driver error: the engine would report an outage instead of the caller's mistake.
 */
function driverErrors(): Store {
  const inner = memoryStore();
  const hasNul = (value: unknown): boolean =>
    typeof value === "string"
      ? value.includes("\0")
      : typeof value === "object" && value !== null
        ? Object.entries(value).some(([key, inner]) => key.includes("\0") || hasNul(inner))
        : false;
  const backend =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (hasNul(args)) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
      return call(...args);
    };
  return {
    ...inner,
    create: backend(inner.create),
    update: backend(inner.update),
    createWithinLimit: backend(inner.createWithinLimit),
    listByUser: backend(inner.listByUser),
    deleteByUser: backend(inner.deleteByUser),
    markRevoked: backend(inner.markRevoked),
    revokedSince: backend(inner.revokedSince),
  };
}

/** Applies updates to rotated-away entries too: a late write moves the pointer's end of grace. */
function pointerMoving(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async update(ref, change) {
      const entry = await inner.get(ref);
      if (entry === null) return false;
      if (entry.meta.successor === null) return inner.update(ref, change);
      const data = { ...entry.data, ...change.set };
      for (const key of change.delete ?? []) delete data[key];
      await inner.create(ref, { ...entry, meta: { ...entry.meta, ...change.meta }, data });
      return true;
    },
  };
}

describeStoreConformance("racy-claim", racyClaim);
describeStoreConformance("chain-blind", chainBlind);
describeStoreConformance("check-then-act", checkThenAct);
describeStoreConformance("driver-errors", driverErrors);
describeStoreConformance("pointer-moving", pointerMoving);

/** Replaces a token by create, then claim, and forgets the new entry when the claim loses. */
function createsOnLostClaim(): Store {
  const inner = memoryStore();
  return {
    ...inner,
    async createAndClaim(ref, session, oldRef, pointerUntil) {
      await inner.create(ref, session);
      return inner.claim(oldRef, ref, pointerUntil);
    },
  };
}

describeStoreConformance("creates-on-lost-claim", createsOnLostClaim);
