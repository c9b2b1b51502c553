// `latchkey flask decode <cookie> [--secret KEY]…` and `latchkey flask sign <json> --secret KEY`.
// Session data is shown and accepted as Flask's tagged JSON ({" t": [...]} for a tuple, …), so
// what `decode` prints, `sign` takes back unchanged.
import { parseArgs } from "node:util";
import {
  decodeFlaskSession,
  type FlaskSession,
  signFlaskSession,
  toTaggedJson as tag,
  fromTaggedJson as untag,
  verifyFlaskSession,
} from "latchkey/flask";

const USAGE = `Usage:
  latchkey flask decode <cookie> [--secret KEY]… [--salt SALT]
      Shows what a Flask session cookie holds. With --secret (repeat it for
      SECRET_KEY_FALLBACKS, newest first) it also checks the signature.
      Exit: 0 decoded (and signature valid if checked), 1 signature invalid, 2 not a Flask cookie.
  latchkey flask sign <json> --secret KEY [--salt SALT] [--timestamp SECONDS]
      Prints a Flask session cookie for a JSON object (Flask's tagged JSON).`;

export async function runFlaskCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, input, ...extra] = positionals;
  if (input === undefined || extra.length > 0) return usage("expected one argument");
  const salt = values.salt;
  if (command === "decode") return decode(input, values.secret ?? [], salt);
  if (command === "sign") return sign(input, values.secret ?? [], salt, values.timestamp);
  return usage(`unknown flask command '${command ?? ""}'`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      secret: { type: "string", multiple: true },
      salt: { type: "string" },
      timestamp: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function decode(cookie: string, secrets: string[], salt: string | undefined): number {
  const decoded = decodeFlaskSession(cookie.trim());
  if (decoded === undefined) {
    process.stderr.write("latchkey flask: not a Flask session cookie\n");
    return 2;
  }
  const out: Record<string, unknown> = {
    data: tag(decoded.data),
    signedAt: new Date(decoded.timestamp * 1000).toISOString(),
    compressed: decoded.compressed,
  };
  let code = 0;
  if (secrets.length > 0) {
    const [secretKey, ...fallbacks] = secrets as [string, ...string[]];
    const result = verifyFlaskSession(cookie.trim(), {
      secretKey,
      fallbacks,
      maxAge: Number.POSITIVE_INFINITY,
      ...(salt !== undefined ? { salt } : {}),
    });
    out.signature = result.valid
      ? result.keyIndex === 0
        ? "valid (SECRET_KEY)"
        : `valid (fallback ${result.keyIndex})`
      : "invalid";
    if (!result.valid) code = 1;
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return code;
}

function sign(
  json: string,
  secrets: string[],
  salt: string | undefined,
  timestamp: string | undefined,
): number {
  const secretKey = secrets[0];
  if (secretKey === undefined) return usage("sign needs --secret KEY");
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp))
    return usage("--timestamp takes whole seconds");
  let data: FlaskSession;
  try {
    const value = untag(JSON.parse(json));
    if (
      value === null ||
      typeof value !== "object" ||
      Object.getPrototypeOf(value) !== Object.prototype
    ) {
      return usage("the session must be a JSON object");
    }
    data = value as FlaskSession;
  } catch (error) {
    return usage(`invalid session JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const cookie = signFlaskSession(data, {
    secretKey,
    ...(salt !== undefined ? { salt } : {}),
    ...(timestamp !== undefined ? { timestamp: Number(timestamp) } : {}),
  });
  process.stdout.write(`${cookie}\n`);
  return 0;
}

function usage(message: string): number {
  process.stderr.write(`latchkey flask: ${message}\n\n${USAGE}\n`);
  return 2;
}
