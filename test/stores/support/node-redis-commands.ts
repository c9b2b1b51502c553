// commandCounter (redis-commands.ts) for a node-redis client: the store calls one node-redis
// method per Redis command (stores/redis/node-redis.ts), so counting those calls counts commands.
// Raw commands (`sendCommand`, how a standalone client gets scripts) count by their name.
import type { CommandCount } from "./redis-commands.ts";

const COMMANDS = {
  hGetAll: "hgetall",
  hDel: "hdel",
  hKeys: "hkeys",
  sMembers: "smembers",
  sRem: "srem",
  exists: "exists",
  unlink: "unlink",
  mGet: "mget",
  evalSha: "evalsha",
  eval: "eval",
  ping: "ping",
  sendCommand: "",
} as const;

export function nodeRedisCounter(client: object): CommandCount {
  const sent: string[] = [];
  let inFlight = 0;
  let trips = 0;
  const target = client as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const [method, name] of Object.entries(COMMANDS)) {
    const original = target[method] as (...args: unknown[]) => Promise<unknown>;
    // An own property shadows the prototype's method until stop() deletes it.
    target[method] = function (this: unknown, ...args: unknown[]) {
      sent.push(name === "" ? String((args[0] as string[])[0]).toLowerCase() : name);
      if (inFlight === 0) trips++;
      inFlight++;
      const reply = original.apply(client, args);
      const settle = () => {
        inFlight--;
      };
      reply.then(settle, settle);
      return reply;
    };
  }
  return {
    stop() {
      for (const method of Object.keys(COMMANDS)) delete target[method];
      return sent;
    },
    roundTrips: () => trips,
  };
}
