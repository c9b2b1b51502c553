import { fileURLToPath } from "node:url";

// `latchkey` resolves to the workspace package's TypeScript sources (its `latchkey-dev` export
// condition), so the example builds without building `dist/` first and always runs the code under
// test. Turbopack has no option for custom export conditions, hence one alias per subpath used.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const source = (path) => `${repo}packages/latchkey/src/${path}`;

/** @type {import("next").NextConfig} */
export default {
  turbopack: {
    root: repo,
    resolveAlias: {
      latchkey: source("index.ts"),
      "latchkey/next": source("adapters/next.ts"),
      "latchkey/stores/sqlite": source("stores/sqlite.ts"),
      "latchkey/stores/redis": source("stores/redis.ts"),
    },
  },
  outputFileTracingRoot: repo,
  // The test suite runs without network access; nothing in the app needs it.
  images: { unoptimized: true },
};
