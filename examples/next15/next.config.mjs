import { fileURLToPath } from "node:url";

// Next.js 15.5 builds with webpack (its default). `latchkey` resolves to the workspace package's
// TypeScript sources, one alias per subpath used, so the app runs the code under test.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const source = (path) => `${repo}packages/latchkey/src/${path}`;

/** @type {import("next").NextConfig} */
export default {
  experimental: { externalDir: true },
  outputFileTracingRoot: repo,
  webpack(config) {
    Object.assign(config.resolve.alias, {
      latchkey$: source("index.ts"),
      "latchkey/next$": source("adapters/next.ts"),
      "latchkey/stores/sqlite$": source("stores/sqlite.ts"),
    });
    return config;
  },
};
