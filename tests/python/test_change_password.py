"""auth0-python's Database.change_password, unchanged, against a running
vestibule: the SDK's request is accepted and answered with Auth0's text,
the same for an unknown address. (The Rust side then reads the reset email
from its SMTP sink and completes the reset.)

Run by crates/vestibule/tests/e2e/email.rs, which makes tests/python/.venv.
Env: VESTIBULE_DOMAIN ("127.0.0.1:PORT"), CLIENT_ID, CLIENT_SECRET,
CONNECTION, EMAIL, PASSWORD.
"""

import os
import sys

from auth0.authentication import Database

SENT = "We've just sent you an email to reset your password."


def env(name):
    value = os.environ.get(name)
    if not value:
        print(f"missing environment variable {name}", file=sys.stderr)
        sys.exit(2)
    return value


def main():
    domain = env("VESTIBULE_DOMAIN")
    email = env("EMAIL")
    connection = env("CONNECTION")
    # With the secret, as an SDK user configured for a confidential client would.
    database = Database(domain, env("CLIENT_ID"), client_secret=env("CLIENT_SECRET"), protocol="http")

    user = database.signup(email=email, password=env("PASSWORD"), connection=connection)
    assert user.get("email") == email, user
    print("ok - Database.signup", flush=True)

    answer = database.change_password(email=email, connection=connection)
    assert answer == SENT, repr(answer)
    print(f"ok - Database.change_password -> {answer!r}", flush=True)

    unknown = database.change_password(email="nobody-" + email, connection=connection)
    assert unknown == SENT, repr(unknown)
    print("ok - Database.change_password for an unknown address -> the same answer", flush=True)

    print("all change_password checks passed", flush=True)


if __name__ == "__main__":
    main()
