// The weak-secret corpus (packages/latchkey/src/core/weak-secrets.ts) and the manglings the
// audit's cracker adds: the list keeps its contract (lowercase, trimmed, unique), secrets from
// real projects' docs are refused at startup and found in cookies, and so are the usual edits
// people make to an example secret ("…2024", "prod-…", another separator, UPPER case).
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { isWellKnownSecret, WEAK_SECRETS } from "../../packages/latchkey/src/core/weak-secrets.ts";
import { signFlaskSession } from "../../packages/latchkey/src/flask/index.ts";
import {
  bundledCandidates,
  findSecret,
  signedCookieFor,
} from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";

const candidates = bundledCandidates();
const crack = (name: string, value: string) => {
  const signed = signedCookieFor(name, value, new Map());
  assert.ok(signed !== undefined, `${name} is not recognised as signed`);
  return findSecret(signed, candidates)?.toString("utf8");
};

describe("weak-secret corpus", () => {
  it("entries are lowercase, trimmed and unique (isWellKnownSecret compares that way)", () => {
    for (const s of WEAK_SECRETS) assert.equal(s, s.trim().toLowerCase(), JSON.stringify(s));
    assert.equal(new Set(WEAK_SECRETS).size, WEAK_SECRETS.length);
    assert.ok(WEAK_SECRETS.length >= 300, `${WEAK_SECRETS.length} entries`);
  });

  it("knows the example secrets of each framework's docs and generators", () => {
    const fromDocs = [
      "keyboard cat", // express-session
      "some secret hurr", // koa-session
      "SEKRIT1", // keygrip
      "a secret with minimum length of 32 characters", // @fastify/session
      "complex_password_at_least_32_characters_long", // iron-session
      "you-will-never-guess", // Flask Mega-Tutorial
      "super secret string", // Flask-Login
      "django-insecure-8#x!c2h$w(k0@z^n3v5e", // Django's startproject
      "!!!SET DJANGO_SECRET_KEY!!!", // cookiecutter-django
      "YourSecretKey!!!", // Laravel 4
      "ThisTokenIsNotSoSecretChangeIt", // Symfony 2/3
      "your-256-bit-secret", // jwt.io
      "secret_key_base", // Rails placeholder
    ];
    for (const s of fromDocs) assert.ok(isWellKnownSecret(s), s);
    assert.ok(isWellKnownSecret("  Keyboard Cat "));
    assert.ok(!isWellKnownSecret("f3a9c1d7e5b28e4d6c0a1b2c3d4e5f60"));
  });

  it("cracks the usual manglings of an example secret", () => {
    for (const secret of [
      "supersecret2024",
      "prod-changeme",
      "Keyboard-cat",
      "KEYBOARD_CAT",
      "my_secret123",
      "SomeRandomString",
    ]) {
      const cookie = signFlaskSession({ user_id: 1 }, { secretKey: secret });
      assert.equal(crack("session", cookie), secret);
    }
    const strong = signFlaskSession({ user_id: 1 }, { secretKey: "keyboard cat 7f3a9c1d" });
    assert.equal(crack("session", strong), undefined);
  });

  it("cracks a Flask-Login remember cookie made by Flask-Login itself", (t) => {
    const py = ensurePython({ flask: "flask", flask_login: "flask-login" });
    if (!py.ok) return skipOrFail(t, py.reason);
    const run = spawnSync(
      "python3",
      [
        "-c",
        [
          "from flask import Flask",
          "from flask_login.utils import encode_cookie",
          "app = Flask('x'); app.secret_key = 'super secret string'",
          "with app.app_context(): print(encode_cookie('alice'))",
        ].join("\n"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    const value = run.stdout.trim();
    assert.equal(
      signedCookieFor("remember_token", value, new Map())?.format,
      "flask-login-remember",
    );
    assert.equal(crack("remember_token", value), "super secret string");
  });
});
