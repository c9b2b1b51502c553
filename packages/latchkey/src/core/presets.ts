/**
 * Timeout presets from the standards latchkey is tested against:
 * NIST SP 800-63B rev 4 §2.x (AAL reauthentication), rev 3 §4.x, OWASP Session Management
 * Cheat Sheet "Session Expiration", and ASVS 4.0.3 V3.3.2.
 */
export const TIMEOUT_PRESETS = {
  /** NIST SP 800-63B rev 4, AAL1: overall ≤ 30 days; no inactivity limit required. */
  "nist-aal1": { absoluteTimeout: "30d", idleTimeout: "30d" },
  /** NIST SP 800-63B rev 4, AAL2: overall ≤ 24 h, inactivity ≤ 1 h. The default. */
  "nist-aal2": { absoluteTimeout: "24h", idleTimeout: "1h" },
  /** NIST SP 800-63B rev 4, AAL3: overall ≤ 12 h (SHALL), inactivity ≤ 15 min. */
  "nist-aal3": { absoluteTimeout: "12h", idleTimeout: "15m" },
  /** NIST SP 800-63B rev 3, AAL2: 12 h overall, 30 min inactivity (also ASVS 4.0.3 L2). */
  "nist3-aal2": { absoluteTimeout: "12h", idleTimeout: "30m" },
  /** OWASP cheat sheet, high-value applications: idle 2–5 min; absolute 4–8 h. */
  "owasp-high": { absoluteTimeout: "4h", idleTimeout: "5m" },
  /** OWASP cheat sheet, low-risk applications: idle 15–30 min; absolute 4–8 h. */
  "owasp-low": { absoluteTimeout: "8h", idleTimeout: "30m" },
  /** ASVS 4.0.3 V3.3.2 level 2: 12 h or 30 min of inactivity. */
  "asvs4-l2": { absoluteTimeout: "12h", idleTimeout: "30m" },
  /** ASVS 4.0.3 V3.3.2 level 3: 12 h or 15 min of inactivity. */
  "asvs4-l3": { absoluteTimeout: "12h", idleTimeout: "15m" },
} as const;

export type TimeoutPreset = keyof typeof TIMEOUT_PRESETS;

export const DEFAULT_PRESET: TimeoutPreset = "nist-aal2";
