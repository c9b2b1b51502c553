// Races between app processes sharing one Redis (see support/race-suite.ts).
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "../stores/support/services.ts";
import { raceSuite } from "./support/race-suite.ts";

raceSuite("redis", {
  sealed: false,
  unavailable: () => redisUnreachable(),
  env: () => ({ STORE: "redis", REDIS_URL, PREFIX: `${runId("race")}:` }),
  cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
});
