// CSRF acceptance (ASVS 5.0 3.5.1, 3.5.2): the description's state-changing request, sent first
// as the site's own page would (it must succeed, or the probe proves nothing), then as an
// attacker's page could: from a foreign Origin without the token, from the site's own origin
// without the token, and re-encoded as text/plain (no CORS preflight) from a foreign Origin.
// The request is sent at most four times; pick one that is harmless to repeat.

import { CliError } from "../errors.ts";
import type { Severity } from "../report/finding.ts";
import { severityAtLeast } from "../report/finding.ts";
import type { PendingFinding } from "./active-result.ts";
import type { CookieJar } from "./cookie-jar.ts";
import type { Flow, Variation } from "./login-flow.ts";
import { fetchToken, foreignOrigin, probeSucceeded, sendSpec } from "./login-flow.ts";

interface Variant {
  name: string;
  variation: Variation;
  /** How bad it is when the site carries this request out. */
  severity: Severity;
  meaning: string;
}

export async function probeCsrf(flow: Flow, jar: CookieJar): Promise<PendingFinding | undefined> {
  const spec = flow.description.csrfProbe;
  if (spec === undefined) return undefined;
  const check = "csrf-accepted";
  const token = await fetchToken(flow, check, "csrfProbe", spec, jar);
  const [baseline] = await sendSpec(flow, check, spec, jar.clone(), {}, token);
  const ok = baseline !== undefined && probeSucceeded(baseline, flow);
  markLast(flow, ok ? "accepted (baseline: as the site's own page sends it)" : "refused");
  if (!ok)
    throw new CliError(
      "active-check",
      `csrfProbe: the request as the site's own page would send it was refused (${baseline?.status ?? "?"}); fix csrfProbe (url, body, csrf, success) so the baseline succeeds`,
    );

  const attacker = foreignOrigin();
  const variants: Variant[] = [
    {
      name: "foreign Origin, no token",
      variation: { foreignOrigin: attacker, omitToken: true },
      severity: "high",
      meaning: "any site can make a logged-in browser send it",
    },
    {
      name: "text/plain from a foreign Origin, no token",
      variation: { foreignOrigin: attacker, omitToken: true, textPlain: true },
      severity: "high",
      meaning: "a cross-site form (enctype=text/plain) sends it without a CORS preflight",
    },
    {
      name: "same Origin, no token",
      variation: { omitToken: true },
      // A JSON request needs a CORS preflight cross-origin (ASVS 5.0 3.5.2): without a token it
      // is still protected once the two variants above are refused. A form post is not.
      severity: spec.json !== undefined ? "info" : "low",
      meaning: "only an Origin/Fetch-Metadata check can be protecting it",
    },
  ];
  const accepted: Variant[] = [];
  for (const variant of variants) {
    const [response] = await sendSpec(flow, check, spec, jar.clone(), variant.variation, token);
    const carriedOut = response !== undefined && probeSucceeded(response, flow);
    const why =
      variant.severity === "info" ? " (a JSON request: the CORS preflight guards it)" : "";
    markLast(flow, `${variant.name}: ${carriedOut ? `ACCEPTED${why}` : "refused"}`);
    if (carriedOut) accepted.push(variant);
  }
  // Info alone (a JSON endpoint relying on the preflight) is not a finding.
  if (!accepted.some((v) => v.severity !== "info")) return undefined;
  const severity = accepted.reduce<Severity>(
    (worst, v) => (severityAtLeast(v.severity, worst) ? v.severity : worst),
    "info",
  );
  return {
    id: "csrf-accepted",
    severity,
    title: "State-changing request accepted without CSRF protection",
    evidence: `${spec.method} ${spec.url} was carried out when sent with ${accepted.map((v) => `${v.name}: ${v.meaning}`).join("; with ")}`,
    url: new URL(spec.url, flow.target).href,
  };
}

function markLast(flow: Flow, note: string): void {
  const last = flow.client.steps.at(-1);
  if (last !== undefined) last.note = note;
}
