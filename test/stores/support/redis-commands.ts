import type { Cluster, Command, Redis } from "ioredis";

export interface CommandCount {
  /** The names of the commands sent, in order. */
  stop(): string[];
  /**
   * How many times the client waited for Redis: a command sent while none of the counted ones was
   * in flight starts a round trip; one sent while another was still waiting shares it (a pipeline).
   */
  roundTrips(): number;
}

/** Records the names of the commands an ioredis client sends until stop() (no MONITOR needed). */
export function commandCounter(client: Redis | Cluster): CommandCount {
  const sent: string[] = [];
  let inFlight = 0;
  let trips = 0;
  // One signature for both client kinds: (command, stream?, node?) => unknown.
  const target = client as unknown as {
    sendCommand: (command: Command, ...rest: unknown[]) => unknown;
  };
  const original = target.sendCommand;
  target.sendCommand = function (this: unknown, command: Command, ...rest: unknown[]) {
    sent.push(command.name.toLowerCase());
    if (inFlight === 0) trips++;
    inFlight++;
    const settle = () => {
      inFlight--;
    };
    command.promise.then(settle, settle);
    return original.call(this, command, ...rest);
  };
  return {
    stop() {
      target.sendCommand = original;
      return sent;
    },
    roundTrips: () => trips,
  };
}
