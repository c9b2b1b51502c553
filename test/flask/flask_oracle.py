"""Real Flask as the oracle for test/flask/*.test.ts.

Reads a JSON list of cases on stdin, answers a JSON list on stdout. Every case runs inside a
request context, so Flask's own JSON provider (sorted keys, ASCII escapes) is in force, exactly
as when Flask writes a session cookie.
  {"op": "sign", "secret": str, "fallbacks": [str], "tagged": str, "timestamp": int}
      -> {"cookie": str}           (Flask's cookie for the value that tagged JSON describes)
  {"op": "load", "secret": str, "fallbacks": [str], "cookie": str, "max_age": int|null}
      -> {"ok": true, "tagged": str} | {"ok": false, "error": str}
"""
import json
import sys

import itsdangerous
from flask import Flask

app = Flask(__name__)
cases = json.load(sys.stdin)
answers = []
with app.test_request_context():
    interface = app.session_interface
    for case in cases:
        app.secret_key = case["secret"]
        app.config["SECRET_KEY_FALLBACKS"] = case.get("fallbacks") or []
        serializer = interface.get_signing_serializer(app)
        if case["op"] == "sign":
            value = interface.serializer.loads(case["tagged"])
            stamp = case["timestamp"]
            original = itsdangerous.TimestampSigner.get_timestamp
            itsdangerous.TimestampSigner.get_timestamp = lambda self: stamp
            try:
                answers.append({"cookie": serializer.dumps(value)})
            finally:
                itsdangerous.TimestampSigner.get_timestamp = original
        else:
            try:
                value = serializer.loads(case["cookie"], max_age=case.get("max_age"))
                answers.append({"ok": True, "tagged": interface.serializer.dumps(value)})
            except Exception as error:  # the test compares the class name
                answers.append({"ok": False, "error": type(error).__name__})
json.dump(answers, sys.stdout)
