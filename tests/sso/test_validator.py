"""The ID token validator (logbook/sso/flow.py validate_id_token), with tokens signed here: each claim
rule refused with its own reason, the signature checked against the issuer's keys only."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from logbook.sso.flow import SsoRefused, validate_id_token

ISSUER = "https://login.example.org/tenant/v2.0"
CLIENT = "cpd-logbook"
NONCE = "n-0S6_WzA2Mj"
NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
T = int(NOW.timestamp())
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})


def public_set(*keys) -> KeySet:
    return KeySet.import_key_set({"keys": [k.as_dict(private=False) for k in keys]})


def claims(**changes):
    base = {
        "iss": ISSUER,
        "sub": "abc",
        "aud": CLIENT,
        "exp": T + 300,
        "iat": T - 5,
        "nonce": NONCE,
        "email": "amara@northshire.example",
        "email_verified": True,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload, key=KEY, alg="RS256", kid="k1") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, payload, key)


def check(token, *, keys=None, access_token=None, leeway=0, nonce=NONCE, algorithms=None):
    return validate_id_token(
        id_token=token,
        keys=keys if keys is not None else public_set(KEY),
        issuer=ISSUER,
        client_id=CLIENT,
        nonce=nonce,
        access_token=access_token,
        now=NOW,
        leeway_seconds=leeway,
        algorithms=algorithms,
    )


def reason_of(token, **kwargs) -> str:
    with pytest.raises(SsoRefused) as err:
        check(token, **kwargs)
    return err.value.reason


def test_a_valid_token_gives_its_claims():
    got = check(sign(claims()))
    assert got["email"] == "amara@northshire.example"
    assert got["sub"] == "abc"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-application"}, "wrong_audience"),
        ({"aud": ["another-application"]}, "wrong_audience"),
        ({"iss": "https://evil.example"}, "wrong_issuer"),
        ({"exp": T - 1}, "token_expired"),
        ({"exp": T}, "token_expired"),  # exp is the first moment it is no longer good
        ({"iat": T + 120}, "invalid_token"),  # issued in the future
        ({"nonce": "someone-elses"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"exp": None}, "invalid_token"),
        ({"iat": None}, "invalid_token"),
        ({"sub": None}, "invalid_token"),
    ],
)
def test_each_claim_rule_refuses_with_its_reason(changes, reason):
    assert reason_of(sign(claims(**changes))) == reason


def test_several_audiences_need_azp_to_be_us():
    assert reason_of(sign(claims(aud=[CLIENT, "another"], azp="another"))) == "wrong_audience"
    assert check(sign(claims(aud=[CLIENT, "another"], azp=CLIENT)))["sub"] == "abc"


def test_the_leeway_allows_a_little_clock_skew_only():
    token = sign(claims(exp=T - 30))
    assert check(token, leeway=60)["sub"] == "abc"
    assert reason_of(token, leeway=10) == "token_expired"


def test_a_signature_by_another_key_is_refused():
    assert reason_of(sign(claims(), key=OTHER_KEY)) == "bad_signature"


def test_symmetric_and_unsigned_tokens_are_refused():
    secret = OctKey.import_key("a-client-secret-that-is-long-enough-0123456789")
    hs = jwt.encode({"alg": "HS256"}, claims(), secret)
    assert reason_of(hs, keys=KeySet([secret]), algorithms=["HS256", "RS256"]) in {
        "invalid_token",
        "bad_signature",
    }
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    assert reason_of(f"{header}.{body}.") == "invalid_token"


def test_garbage_is_refused():
    assert reason_of("not.a.token") == "invalid_token"
    assert reason_of("") == "invalid_token"


def test_at_hash_must_match_the_access_token():
    digest = hashlib.sha256(b"the-access-token").digest()[:16]
    at_hash = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    token = sign(claims(at_hash=at_hash))
    assert check(token, access_token="the-access-token")["sub"] == "abc"
    assert reason_of(token, access_token="another-access-token") == "invalid_token"


def test_an_unknown_key_id_fetches_the_keys_again_once():
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2", "alg": "RS256", "use": "sig"})
    calls = []

    def keys(force):
        calls.append(force)
        return public_set(rotated) if force else public_set(KEY)

    assert check(sign(claims(), key=rotated, kid="k2"), keys=keys)["sub"] == "abc"
    assert calls == [False, True]
