// Races between app processes using sealed cookie sessions whose revocation marks live in one
// Redis (see support/race-suite.ts): a session revoked while a request is in flight is never
// re-sealed into a cookie that authenticates.
import { dropRedisPrefix, REDIS_URL, redisUnreachable, runId } from "../stores/support/services.ts";
import { raceSuite } from "./support/race-suite.ts";

raceSuite("sealed cookies with revocation marks in redis", {
  sealed: true,
  unavailable: () => redisUnreachable(),
  env: () => ({ STORE: "cookie-redis", REDIS_URL, PREFIX: `${runId("race")}:` }),
  cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
});
