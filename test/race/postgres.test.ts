// Races between app processes sharing one PostgreSQL database (see support/race-suite.ts).
import {
  DATABASE_URL,
  dropSchema,
  postgresUnreachable,
  runId,
} from "../stores/support/services.ts";
import { raceSuite } from "./support/race-suite.ts";

raceSuite("postgres", {
  sealed: false,
  unavailable: () => postgresUnreachable(),
  env: () => ({ STORE: "postgres", DATABASE_URL, SCHEMA: runId("race") }),
  cleanup: (env) => dropSchema(env.SCHEMA as string),
});
