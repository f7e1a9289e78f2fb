"""Auth0's official Python SDK (auth0-python, pinned in requirements.txt)
against a running vestibule: Authentication API signup and the password-realm
grant, with the ID token checked by the SDK's own TokenVerifier.

Run by crates/vestibule/tests/e2e/login.rs, which makes tests/python/.venv.
Env: VESTIBULE_DOMAIN ("127.0.0.1:PORT"), VESTIBULE_ISSUER ("http://127.0.0.1:PORT/"),
CLIENT_ID, CLIENT_SECRET (a client_secret_post client allowed the
password-realm grant), CONNECTION (a database connection enabled for it),
EMAIL, PASSWORD.

Prints `ok - <check>` per check; exits 1 at the first failure.
"""

import json
import os
import sys
import traceback
import urllib.request

from auth0.authentication import Database, GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier

UNKNOWN_ERROR = "a0.sdk.internal.unknown"


def env(name):
    value = os.environ.get(name)
    if not value:
        print(f"missing environment variable {name}", file=sys.stderr)
        sys.exit(2)
    return value


DOMAIN = env("VESTIBULE_DOMAIN")
ISSUER = env("VESTIBULE_ISSUER")
CLIENT_ID = env("CLIENT_ID")
CLIENT_SECRET = env("CLIENT_SECRET")
CONNECTION = env("CONNECTION")
EMAIL = env("EMAIL")
PASSWORD = env("PASSWORD")

step = "start"


def ok(message):
    print(f"ok - {message}", flush=True)


def expect_auth0_error(call, what):
    try:
        result = call()
    except Auth0Error as err:
        return err
    raise AssertionError(f"{what}: expected an Auth0Error, got {result!r}")


def main():
    global step
    database = Database(DOMAIN, CLIENT_ID, protocol="http")
    token = GetToken(DOMAIN, CLIENT_ID, client_secret=CLIENT_SECRET, protocol="http")

    step = "Database.signup"
    user = database.signup(email=EMAIL, password=PASSWORD, connection=CONNECTION)
    assert isinstance(user, dict), user
    assert user.get("email") == EMAIL, user
    assert user.get("_id"), user
    assert user.get("email_verified") is False, user
    ok(f"Database.signup -> _id {user['_id']}")

    step = "GetToken.login (password-realm)"
    tokens = token.login(
        username=EMAIL, password=PASSWORD, realm=CONNECTION, scope="openid profile email"
    )
    assert tokens.get("access_token"), tokens
    assert tokens.get("id_token"), tokens
    assert str(tokens.get("token_type", "")).lower() == "bearer", tokens
    ok(f"GetToken.login -> access_token, id_token (expires_in {tokens.get('expires_in')})")

    step = "TokenVerifier on the ID token"
    with urllib.request.urlopen(f"{ISSUER}.well-known/openid-configuration", timeout=10) as r:
        jwks_uri = json.load(r)["jwks_uri"]
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(jwks_uri),
        issuer=ISSUER,
        audience=CLIENT_ID,
    )
    claims = verifier.verify(tokens["id_token"])
    assert claims.get("sub"), claims
    if "email" in claims:
        assert claims["email"].lower() == EMAIL.lower(), claims
    ok(f"TokenVerifier: RS256 via jwks, iss, aud, exp, iat (sub {claims['sub']})")

    step = "GetToken.login with a wrong password"
    err = expect_auth0_error(
        lambda: token.login(
            username=EMAIL, password=PASSWORD + "x", realm=CONNECTION, scope="openid"
        ),
        "wrong password",
    )
    assert err.error_code == "invalid_grant", (err.status_code, err.error_code, err.message)
    assert 400 <= err.status_code < 500, err.status_code
    ok(f"wrong password -> Auth0Error {err.status_code} {err.error_code}: {err.message}")

    step = "GetToken.login with an unknown user"
    err2 = expect_auth0_error(
        lambda: token.login(
            username="nobody-" + EMAIL, password=PASSWORD, realm=CONNECTION, scope="openid"
        ),
        "unknown user",
    )
    assert (err2.status_code, err2.error_code, err2.message) == (
        err.status_code,
        err.error_code,
        err.message,
    ), f"unknown user {err2.status_code} {err2.error_code} {err2.message!r} differs from wrong password"
    ok("unknown user -> the same error as a wrong password")

    step = "Database.signup of an existing email"
    err = expect_auth0_error(
        lambda: database.signup(email=EMAIL, password=PASSWORD, connection=CONNECTION),
        "second signup",
    )
    assert err.status_code == 400, (err.status_code, err.error_code, err.message)
    assert err.error_code != UNKNOWN_ERROR, f"not a JSON error body: {err.message!r}"
    ok(f"second signup -> Auth0Error {err.status_code} {err.error_code}: {err.message}")


try:
    main()
    print("all auth0-python checks passed")
except Exception as err:  # noqa: BLE001 — report any failure with its step
    print(f"not ok - {step}", file=sys.stderr)
    traceback.print_exc()
    if isinstance(err, Auth0Error):
        print(f"Auth0Error status={err.status_code} code={err.error_code} message={err.message!r} content={err.content!r}", file=sys.stderr)
    sys.exit(1)
