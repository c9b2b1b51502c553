// https targets with a private CA or a self-signed certificate: refused by default, reachable
// with --ca FILE or --insecure, and judged in full (not as development). Keys and certificates
// are generated at test time with openssl, in a temporary directory.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { skipOrFail } from "../helpers/service.ts";
import { runCli, summary } from "./harness.ts";

function openssl(dir: string, args: string[]) {
  return spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
}

// A private CA and a leaf for 127.0.0.1 signed by it.
function makeCertificates(dir: string): string | undefined {
  const steps = [
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=latchkey test CA",
    ],
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      "/CN=127.0.0.1",
    ],
    [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
    ],
  ];
  spawnSync(
    "sh",
    ["-c", "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf"],
    { cwd: dir },
  );
  for (const step of steps) {
    const run = openssl(dir, step);
    if (run.error !== undefined || run.status !== 0)
      return `openssl ${step[0]} failed: ${run.error?.message ?? run.stderr}`;
  }
  return undefined;
}

describe("audit over https with a private CA", () => {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-tls-"));
  let problem: string | undefined;
  let server: Server | undefined;
  let url = "";
  before(async () => {
    problem = makeCertificates(dir);
    if (problem !== undefined) return;
    server = createServer(
      { key: readFileSync(join(dir, "leaf.key")), cert: readFileSync(join(dir, "leaf.pem")) },
      (_req, res) => {
        res.writeHead(200, {
          "content-type": "text/html",
          "set-cookie":
            "__Host-sid=Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU0oRiKqWx5EyV; Path=/; Secure; HttpOnly; SameSite=Lax",
          "cache-control": "no-store",
          "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'none'",
        });
        res.end("<html><body>staging</body></html>");
      },
    );
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server!.once("listening", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server?.closeAllConnections();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an untrusted certificate by default (exit 2)", async (t) => {
    if (problem !== undefined) return skipOrFail(t, `openssl not usable: ${problem}`);
    const run = await runCli(["audit", url]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /cannot reach.*(self[- ]signed|certificate|CERT)/i);
  });

  it("--ca FILE trusts the private CA; the https site is judged in full", async (t) => {
    if (problem !== undefined) return skipOrFail(t, `openssl not usable: ${problem}`);
    const run = await runCli(["audit", url, "--ca", join(dir, "ca.pem"), "--json"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(summary(JSON.parse(run.stdout).findings), ["medium hsts-missing"]);
  });

  it("--insecure accepts it too", async (t) => {
    if (problem !== undefined) return skipOrFail(t, `openssl not usable: ${problem}`);
    const run = await runCli(["audit", url, "--insecure", "--json"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(summary(JSON.parse(run.stdout).findings), ["medium hsts-missing"]);
  });

  it("an http URL that redirects to https on the same host and the expected port is audited as the https site", async (t) => {
    if (problem !== undefined) return skipOrFail(t, `openssl not usable: ${problem}`);
    const redirector = createHttpServer((_req, res) => {
      res.writeHead(301, { location: url });
      res.end();
    });
    redirector.listen(0, "127.0.0.1");
    await new Promise((r) => redirector.once("listening", r));
    try {
      const httpUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/`;
      const httpsPort = new URL(url).port;
      const ca = ["--ca", join(dir, "ca.pem"), "--json"];
      const run = await runCli(["audit", httpUrl, "--https-port", httpsPort, ...ca]);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout);
      assert.equal(report.target, httpUrl);
      assert.deepEqual(summary(report.findings), ["medium hsts-missing"]);
      // Without --https-port the expected port is 443: a redirect to any other port of the
      // host is someone else's service, so the http site itself is judged and found wanting.
      const elsewhere = await runCli(["audit", httpUrl, ...ca]);
      assert.equal(elsewhere.status, 0, elsewhere.stderr);
      const judged = JSON.parse(elsewhere.stdout);
      assert.ok(
        judged.findings.some((f: { id: string }) => f.id === "https-redirect-missing"),
        elsewhere.stdout,
      );
    } finally {
      redirector.closeAllConnections();
      redirector.close();
    }
  });
});
