// node-redis (v4+) clients, standalone or `createCluster`, seen through the few ioredis methods
// the Redis store calls: the store keeps one code path, and ioredis clients are used as they are.
// No node-redis type is imported (it is not a dependency): the client is described by shape.
import type { Cluster, Command, Redis } from "ioredis";

type Reply = Promise<unknown>;

/** The node-redis commands the store sends, as a standalone client or a node of a cluster has them. */
interface NodeRedisCommands {
  hGetAll(key: string): Reply;
  hDel(key: string, fields: string[]): Reply;
  hKeys(key: string): Reply;
  sMembers(key: string): Reply;
  sRem(key: string, members: string[]): Reply;
  exists(keys: string[]): Reply;
  unlink(keys: string[]): Reply;
  mGet(keys: string[]): Reply;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Reply;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Reply;
}

/** A node-redis client from `createClient()` (connected: the store does not call `connect()`). */
export interface NodeRedisClient extends NodeRedisCommands {
  sendCommand(args: string[]): Reply;
  ping(): Reply;
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string | number; keys: string[] }>;
  quit?(): Reply;
  close?(): Reply;
}

/** A node-redis cluster from `createCluster()` (connected). */
export interface NodeRedisCluster extends NodeRedisCommands {
  readonly masters: readonly unknown[];
  nodeClient(node: never): NodeRedisClient | Promise<NodeRedisClient>;
}

/** True for a node-redis client or cluster: its commands are camelCase (ioredis: lowercase). */
export function isNodeRedis(client: unknown): client is NodeRedisClient | NodeRedisCluster {
  return typeof (client as { hGetAll?: unknown }).hGetAll === "function";
}

/**
 * `client` as the ioredis subset the store calls. Scripts take string arguments only in
 * node-redis, so numbers are sent as their text (what ioredis sends for them as well).
 */
export function asIoredis(client: NodeRedisClient | NodeRedisCluster): Redis | Cluster {
  const cluster = "masters" in client;
  // Standalone, the client is its own only node (deleteAll scans it like a cluster's masters).
  const self = cluster ? {} : scannable(Promise.resolve(client as NodeRedisClient));
  const commands = {
    ...self,
    hgetall: (key: string) => client.hGetAll(key),
    hdel: (key: string, ...fields: string[]) => client.hDel(key, fields),
    hkeys: (key: string) => client.hKeys(key),
    smembers: (key: string) => client.sMembers(key),
    srem: (key: string, ...members: string[]) => client.sRem(key, members),
    exists: (...keys: string[]) => client.exists(keys),
    unlink: (...keys: string[]) => client.unlink(keys),
    mget: (...keys: string[]) => client.mGet(keys),
    // Standalone, a script call is sent as its raw command: node-redis' evalSha() builds it
    // through its command parser, ~8 µs of CPU more per call (measured). A cluster needs evalSha()
    // to route by the first key.
    evalsha: (sha: string, count: number, ...rest: Array<string | number>) =>
      cluster
        ? client.evalSha(sha, scriptOptions(count, rest))
        : (client as NodeRedisClient).sendCommand(rawScript("EVALSHA", sha, count, rest)),
    eval: (source: string, count: number, ...rest: Array<string | number>) =>
      cluster
        ? client.eval(source, scriptOptions(count, rest))
        : (client as NodeRedisClient).sendCommand(rawScript("EVAL", source, count, rest)),
    isCluster: cluster,
    options: {},
    // A cluster routes PING to any node: asking the first master's client says it is reachable.
    ping: () =>
      cluster
        ? masterClients(client)[0]?.then((node) => node.ping())
        : (client as NodeRedisClient).ping(),
    nodes: () =>
      cluster
        ? masterClients(client).map(scannable)
        : [scannable(Promise.resolve(client as NodeRedisClient))],
    quit: async () => {
      const standalone = client as NodeRedisClient;
      await (standalone.close ?? standalone.quit)?.call(standalone);
    },
    disconnect: () => {},
  };
  return commands as unknown as Redis | Cluster;
}

/** ioredis' `numkeys, key…, arg…` as node-redis' options (a cluster routes by the first key). */
function scriptOptions(
  count: number,
  rest: ReadonlyArray<string | number>,
): { keys: string[]; arguments: string[] } {
  return { keys: rest.slice(0, count).map(String), arguments: rest.slice(count).map(String) };
}

/** ioredis' `numkeys, key…, arg…` as one raw EVAL/EVALSHA command. */
function rawScript(
  name: "EVAL" | "EVALSHA",
  script: string,
  count: number,
  rest: ReadonlyArray<string | number>,
): string[] {
  const command = [name, script, String(count)];
  for (const arg of rest) command.push(typeof arg === "string" ? arg : String(arg));
  return command;
}

function masterClients(cluster: NodeRedisCluster): Array<Promise<NodeRedisClient>> {
  return cluster.masters.map((master) => Promise.resolve(cluster.nodeClient(master as never)));
}

/** One node as `deleteAll` uses it: SCAN with ioredis' arguments, and raw UNLINK commands. */
function scannable(node: Promise<NodeRedisClient>): Redis {
  return {
    async scan(cursor: string, _match: "MATCH", pattern: string, _count: "COUNT", count: number) {
      const reply = await (await node).scan(cursor, { MATCH: pattern, COUNT: count });
      return [String(reply.cursor), reply.keys];
    },
    sendCommand(command: Command) {
      node
        .then((client) => client.sendCommand([command.name, ...command.args.map(String)]))
        .then(command.resolve, command.reject);
    },
  } as unknown as Redis;
}
