// Credentials for an authenticated passive scan without a login description: cookies and headers
// given on the command line (`--cookie NAME=VALUE`, `--header "Name: value"`) or named there and
// read from the environment (`--cookie-env NAME=ENVVAR`, `--header-env "Name: ENVVAR"`, which
// keep the value out of shell history and process lists). Every value joins the secrets the
// report is scrubbed of, so a site echoing one back cannot make the auditor print it.
import { CliError } from "../errors.ts";
import { MIN_SCRUBBED_LENGTH, type SecretValue } from "./secret-values.ts";

export interface CredentialFlags {
  cookie?: readonly string[];
  "cookie-env"?: readonly string[];
  header?: readonly string[];
  "header-env"?: readonly string[];
}

export interface SuppliedCredentials {
  /** Cookies the crawl starts with, like a browser that is already logged in. */
  cookies: [string, string][];
  /** Lowercased header names and their values, sent with every crawled page. */
  headers: Record<string, string>;
  /** What the report must never contain, and what it shows instead. */
  secrets: SecretValue[];
}

// RFC 9110 token (header names) and RFC 6265 cookie-name token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 cookie-octet: no controls, whitespace, DQUOTE, comma, semicolon or backslash.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// Field values: visible ASCII and inner spaces or tabs; no CR, LF or other controls.
const HEADER_VALUE = /^[\x20-\x7e\t\x80-\xff]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Headers the auditor sets itself, or that change what a request means rather than who sends it.
const RESERVED_HEADERS = new Set([
  "cookie",
  "host",
  "origin",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
]);

/**
 * Reads the credential flags. Throws CliError("usage") naming the flag and the NAME at fault,
 * never a value (a malformed `--cookie` may still be someone's password).
 *
 * @example suppliedCredentials({ cookie: ["session=abc123"] }, process.env).cookies // [["session", "abc123"]]
 */
export function suppliedCredentials(
  flags: CredentialFlags,
  env: NodeJS.ProcessEnv,
): SuppliedCredentials {
  const out: SuppliedCredentials = { cookies: [], headers: {}, secrets: [] };
  const addSecret = (shown: string, value: string) => {
    if (value.length >= MIN_SCRUBBED_LENGTH)
      out.secrets.push({ name: shown, value, shown: `(value of ${shown})` });
  };
  const addCookie = (flag: string, name: string, value: string, shown: string) => {
    if (!TOKEN.test(name)) throw usage(`${flag}: not a cookie name: ${visible(name)}`);
    if (!COOKIE_VALUE.test(value))
      throw usage(`${flag} ${name}: the value has a character a cookie cannot carry`);
    if (out.cookies.some(([n]) => n === name)) throw usage(`${flag} ${name}: given twice`);
    out.cookies.push([name, value]);
    addSecret(shown, value);
  };
  const addHeader = (flag: string, name: string, value: string, shown: string) => {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw usage(`${flag}: not a header name: ${visible(name)}`);
    if (RESERVED_HEADERS.has(lower))
      throw usage(
        `${flag} ${name}: ${lower === "cookie" ? "use --cookie NAME=VALUE" : "the auditor sets this header itself"}`,
      );
    if (!HEADER_VALUE.test(value))
      throw usage(`${flag} ${name}: the value has a line break or control character`);
    if (out.headers[lower] !== undefined) throw usage(`${flag} ${name}: given twice`);
    out.headers[lower] = value.trim();
    addSecret(shown, value.trim());
  };
  const fromEnv = (flag: string, name: string, variable: string): string => {
    if (!ENV_NAME.test(variable))
      throw usage(`${flag} ${name}: not a variable name: ${visible(variable)}`);
    const value = env[variable];
    if (value === undefined || value === "")
      throw usage(`${flag} ${name}: environment variable ${variable} is not set`);
    return value;
  };

  for (const arg of flags.cookie ?? []) {
    const [name, value] = split(arg, "=", "--cookie", "NAME=VALUE");
    addCookie("--cookie", name, value, `--cookie ${name}`);
  }
  for (const arg of flags["cookie-env"] ?? []) {
    const [name, variable] = split(arg, "=", "--cookie-env", "NAME=ENVVAR");
    addCookie("--cookie-env", name, fromEnv("--cookie-env", name, variable), `$${variable}`);
  }
  for (const arg of flags.header ?? []) {
    const [name, value] = split(arg, ":", "--header", '"Name: value"');
    addHeader("--header", name, value, `--header ${name}`);
  }
  for (const arg of flags["header-env"] ?? []) {
    const [name, variable] = split(arg, ":", "--header-env", '"Name: ENVVAR"');
    addHeader(
      "--header-env",
      name,
      fromEnv("--header-env", name, variable.trim()),
      `$${variable.trim()}`,
    );
  }
  return out;
}

/** True when any cookie or header was given. */
export function hasCredentials(credentials: SuppliedCredentials): boolean {
  return credentials.cookies.length > 0 || Object.keys(credentials.headers).length > 0;
}

function split(arg: string, separator: string, flag: string, form: string): [string, string] {
  const at = arg.indexOf(separator);
  // Only the part before the separator is ever shown: what follows may be the secret itself.
  if (at <= 0) throw usage(`${flag} takes ${form}`);
  return [arg.slice(0, at).trim(), arg.slice(at + 1)];
}

// A name is not secret, but it is still shown escaped and bounded.
function visible(text: string): string {
  return JSON.stringify(text.slice(0, 40));
}

function usage(message: string): CliError {
  return new CliError("usage", message);
}
