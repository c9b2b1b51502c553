// `deleteAll()` on Redis: SCAN every master for the store's keys, a page at a time, and delete
// each page's sessions before asking for the next. Memory stays bounded by one page per master
// (SCAN COUNT), the event loop handles one page's replies at a time, and commands of live
// requests queue between pages rather than behind a million deletions.
//
// Each session goes the way a revocation does (scripts.ts: DELETE_CHAIN standalone, DELETE_LINK
// on a Cluster), not by a bare UNLINK: a rotation whose claim lands while the sweep runs leaves a
// successor that SCAN may never return (it was created behind the cursor); deleting the old link
// reads that successor and removes it too. A session's own deletion also drops it from its user's
// index, so the index keys empty themselves and a login made during the sweep stays listed.
import { type Cluster, Command, type Redis } from "ioredis";
import { LatchkeyError } from "../../core/errors.ts";
import { DELETE_CHAIN, DELETE_LINK, type Script } from "./scripts.ts";

/** Keys a SCAN page asks for (a hint to Redis; a page may hold somewhat more or fewer). */
export const SWEEP_PAGE = 500;

export interface SweepTarget {
  client: Redis | Cluster;
  /** The store's prefix; the client's own keyPrefix is added here (SCAN patterns do not get it). */
  prefix: string;
  standalone: boolean;
  /** Cluster: removes the user's index member of a deleted session. */
  unindex(userId: string, ref: string): Promise<void>;
  /** Cluster: removes a successor chain that starts at `ref`. */
  removeChain(ref: string): Promise<unknown>;
  /** Called after each page (tests count pages; a benchmark can report progress). */
  onPage?: (deleted: number) => void;
}

/** Deletes every session of the store (and the index keys of older versions); returns how many. */
export async function sweepSessions(target: SweepTarget): Promise<number> {
  const { client } = target;
  // A command first: a Cluster client learns its masters when it connects.
  await client.ping();
  const masters = client.isCluster ? (client as Cluster).nodes("master") : [client as Redis];
  if (masters.length === 0) {
    throw new LatchkeyError(
      "store-unavailable",
      "redisStore: no Redis Cluster master is connected",
    );
  }
  const full = ((client.options as { keyPrefix?: string }).keyPrefix ?? "") + target.prefix;
  // One master after another: their replies would otherwise arrive together, and the event loop
  // would handle several pages in one turn.
  let total = 0;
  for (const node of masters) {
    total += await sweepNode(target, node, full);
  }
  return total;
}

/** Sweeps one master (or the standalone server); returns how many sessions it deleted. */
async function sweepNode(target: SweepTarget, node: Redis, full: string): Promise<number> {
  const script = target.standalone ? DELETE_CHAIN : DELETE_LINK;
  await raw(node, "script", ["load", script.source]);
  let deleted = 0;
  await scanPages(node, `${globEscape(full)}s:*`, async (keys) => {
    const removed = await Promise.all(keys.map((key) => deleteSession(target, node, full, key)));
    const count = removed.reduce((sum, n) => sum + n, 0);
    deleted += count;
    target.onPage?.(count);
  });
  // Per-user sets of versions before the index hash: nothing else removes them.
  await scanPages(node, `${globEscape(full)}u:*`, async (keys) => {
    await Promise.all(keys.map((key) => raw(node, "unlink", [key])));
  });
  return deleted;
}

/** Deletes one scanned session key (its full name, keyPrefix included) with its chain. */
async function deleteSession(
  target: SweepTarget,
  node: Redis,
  full: string,
  key: string,
): Promise<number> {
  const ref = key.slice(full.length + 2);
  if (target.standalone) {
    const keys = [key, `${full}user:`, `${full}s:`];
    return ((await evalsha(node, DELETE_CHAIN, keys, ["", ref])) as string[]).length;
  }
  const reply = (await evalsha(node, DELETE_LINK, [key], [""])) as string[];
  if (reply.length === 0) return 0;
  const userId = JSON.parse(reply[0] as string) as string | null;
  const successor = JSON.parse(reply[1] as string) as string | null;
  await Promise.all([
    userId === null ? undefined : target.unindex(userId, ref),
    successor === null ? undefined : target.removeChain(successor),
  ]);
  return 1;
}

async function scanPages(
  node: Redis,
  pattern: string,
  page: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", SWEEP_PAGE);
    cursor = next;
    if (keys.length > 0) await page(keys);
    // Let timers and I/O of live requests run between pages, even when replies come back at once.
    await new Promise((resolve) => setImmediate(resolve));
  } while (cursor !== "0");
}

function evalsha(node: Redis, script: Script, keys: string[], args: string[]): Promise<unknown> {
  return raw(node, "evalsha", [script.sha, String(keys.length), ...keys, ...args]);
}

/** A command sent as given: keys scanned from a node already carry ioredis' keyPrefix. */
function raw(node: Redis, name: string, args: string[]): Promise<unknown> {
  const command = new Command(name, args);
  node.sendCommand(command);
  return command.promise;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
