"""Staff emails never name Redis keys: accounts are kept under a keyed hash, the email only encrypted.

Accounts kept under their email in clear (as before) still sign in, ring and take their links.
"""

import json

from helpline.services import accounts
from helpline.store import Keys
from tests.browser_fixtures import PASSWORD
from tests.test_account_links import set_password_with
from tests.test_staff_auth import login

EMAIL = "ana@example.org"
GUESSED = "someone.guessed@example.net"  # typed at sign-in by a stranger: no account


def staff_data(redis) -> bytes:
    """Every staff key's name and value, as Redis keeps them."""
    kept = []
    for key in redis.scan_iter(match="hl:staff:*"):
        kept.append(key)
        kind = redis.type(key)
        if kind == b"hash":
            kept += [b for pair in redis.hgetall(key).items() for b in pair]
        elif kind == b"set":
            kept += list(redis.smembers(key))
        elif kind == b"string":
            kept.append(redis.get(key))
    return b" ".join(kept)


def test_no_staff_email_is_kept_in_clear_in_a_key_name_or_the_records(client, store, helpline, redis):
    accounts.add(
        store, EMAIL, "operator", password=PASSWORD, phone="+12125550142", passwords=helpline.passwords
    )
    accounts.set_duty(store, EMAIL, True)
    store.staff_alerts.choose(EMAIL, sound=True, notify=False)
    accounts.issue_set_password_token(store, EMAIL, 3600)
    assert login(client, GUESSED, "not the password").status_code == 401
    assert login(client, EMAIL, "not the password").status_code == 401
    assert login(client, EMAIL).status_code == 302
    assert EMAIL in client.get("/staff").get_data(as_text=True)  # signed in as herself

    kept = staff_data(redis).lower()
    assert b"example.org" not in kept
    assert b"example.net" not in kept
    assert accounts.get(store, "ANA@example.org").email == EMAIL
    assert [a.email for a in accounts.all_accounts(store)] == [EMAIL]
    assert accounts.on_duty_phones(store) == ["+12125550142"]
    assert store.staff_alerts.choices(EMAIL) == {"sound": True, "notify": False}


def keep_as_before(redis, helpline, email: str, phone: str, link_token: str) -> None:
    """An account as it was kept when keys were named by the email in clear: on duty, with a live link."""
    record = {
        "email": email,
        "role": "staff",
        "password_hash": helpline.passwords.hash(PASSWORD),
        "disabled": False,
        "phone_enc": helpline.store.accounts.seal_phone(phone),
        "on_duty": True,
        "created": 1.0,
        "session_version": 0,
    }
    redis.hset(f"hl:staff:account:{email}", mapping={k: json.dumps(v) for k, v in record.items()})
    redis.sadd(Keys.staff_all, email)
    redis.sadd(Keys.staff_on_duty, email)
    redis.hset(f"hl:staff:alerts:{email}", mapping={"sound": 1, "notify": 1})
    redis.set(f"hl:staff:set-password:{link_token}", email, ex=3600)
    redis.sadd(f"hl:staff:links:{email}", link_token)


def test_an_account_kept_under_its_email_still_signs_in_and_moves_to_its_hash(client, helpline, redis):
    keep_as_before(redis, helpline, EMAIL, "+12125550142", "old-link")
    keep_as_before(redis, helpline, "bo@example.org", "+12125550143", "bos-link")

    assert login(client, "Ana@Example.org").status_code == 302
    page = client.get("/staff")
    assert page.status_code == 200 and EMAIL in page.get_data(as_text=True)
    store = helpline.store
    assert store.staff_alerts.choices(EMAIL) == {"sound": True, "notify": True}  # her choices kept
    # Listing the team moves every other account too: both still ring, and are listed once each.
    assert sorted(accounts.on_duty_phones(store)) == ["+12125550142", "+12125550143"]
    assert [a.email for a in accounts.all_accounts(store)] == [EMAIL, "bo@example.org"]
    # The link sent to bo before still sets his password, once.
    assert set_password_with(client, "bos-link").status_code == 302
    assert set_password_with(client, "bos-link").status_code != 302
    assert b"example.org" not in staff_data(redis).lower()
    # Nor can the same email be added a second time under its hash.
    try:
        accounts.add(store, EMAIL)
    except accounts.AccountError:
        pass
    else:
        raise AssertionError("a second account for the same email was created")
