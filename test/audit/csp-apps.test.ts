// The Content-Security-Policy and Subresource Integrity checks against real frameworks: a Flask
// app whose policy allows eval and any https: script host, and Express with helmet's defaults.
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import helmet from "helmet";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import { type JsonFinding, runCli, startPythonApp, summary } from "./harness.ts";

const DEV_NOTES = ["info hsts-missing", "info https-redirect-missing"];

async function auditJson(url: string) {
  const run = await runCli(["audit", url, "--json"]);
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { findings: JsonFinding[] };
}

describe("CSP and SRI: Flask with a weak policy", () => {
  const python = ensurePython({ flask: "flask" });
  it("reports eval, a broad script-src, no object-src, no base-uri and the unpinned CDN script", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const app = await startPythonApp("flask_weak_csp.py");
    try {
      const report = await auditJson(app.url);
      assert.deepEqual(summary(report.findings), [
        ...DEV_NOTES,
        "low csp-base-uri-missing",
        "low csp-object-src-missing",
        "low csp-script-src-broad",
        "low csp-unsafe-eval",
        "low script-integrity-missing",
      ]);
      const byId = new Map(report.findings.map((f) => [f.id, f]));
      assert.match(byId.get("csp-unsafe-eval")!.evidence, /^script-src 'unsafe-eval' in/);
      assert.match(byId.get("csp-script-src-broad")!.evidence, /^script-src https: in/);
      assert.match(byId.get("csp-object-src-missing")!.evidence, /^no object-src or default-src/);
      // Only the cross-origin script without integrity: not the same-origin one, not the pinned one.
      assert.match(
        byId.get("script-integrity-missing")!.evidence,
        /^<script src> without integrity: https:\/\/cdn\.example\/x\.js \(seen 2 times\)$/,
      );
      assert.match(byId.get("csp-unsafe-eval")!.fix, /talisman|Content-Security-Policy/);
    } finally {
      await app.stop();
    }
  });
});

describe("CSP and SRI: Express with helmet's defaults", () => {
  it("helmet 8's policy (script-src 'self', object-src 'none', base-uri 'self') passes every CSP check", async () => {
    const app = express();
    app.use(helmet());
    app.get("/", (_req, res) => {
      res.send(
        '<!doctype html><html><head><script src="/app.js"></script></head><body><a href="/about">About</a></body></html>',
      );
    });
    app.get("/about", (_req, res) => {
      res.send(
        '<!doctype html><html><head><script src="https://cdn.example/x.js"></script></head><body>about</body></html>',
      );
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const report = await auditJson(url);
      // helmet blocks the CDN script through script-src 'self', but the page still asks for it
      // without integrity: SRI is its own finding.
      assert.deepEqual(summary(report.findings), [...DEV_NOTES, "low script-integrity-missing"]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
