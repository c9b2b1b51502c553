// Text from an audited site or a linted repository, made safe to print on a terminal. Control
// characters (C0, DEL, C1 such as U+009B, a one-byte CSI) could move the cursor, rewrite earlier
// lines, retitle the window or hide a finding; bidirectional overrides and isolates could make a
// URL or file name read as something it is not. Each one is shown as an escape (`\x1b`,
// `\u202e`) so the reader sees that it was there. Only the terminal report does this: JSON and
// SARIF carry the exact text, which their encoders already escape.

// C0 controls, DEL and C1 controls; U+061C, U+200E/U+200F (bidi marks), U+2028/U+2029 (line and
// paragraph separators), U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates).
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character that could steer a terminal shown as an escape sequence.
 *
 * @example escapeForTerminal("a\u001b[2Jb") // "a\\x1b[2Jb"
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
