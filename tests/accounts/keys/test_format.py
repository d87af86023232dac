"""The key format: a kind prefix, 40 random base62 characters and a checksum."""

import re

from accounts import keys


def test_keys_say_their_kind_and_satisfy_the_wandb_sdk_local_check():
    personal, service = keys.generate_key("personal"), keys.generate_key("service")
    assert personal.startswith("sxt_pk-") and service.startswith("sxt_sa-")
    for key in (personal, service):
        # The SDK cuts at the first dash and wants 40+ of [A-Za-z0-9_-] after it.
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", key.partition("-")[2])
    assert keys.key_kind(personal) == "personal" and keys.key_kind(service) == "service"


def test_a_mistyped_or_cut_key_fails_its_checksum():
    key = keys.generate_key("personal")
    body = key.partition("-")[2]
    flipped = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    assert keys.key_kind(flipped) is None
    assert keys.key_kind(key[:-1]) is None
    assert keys.key_kind("sxt_xx-" + body) is None
    assert keys.key_kind(body) is None


def test_the_hint_shows_only_the_prefix_and_last_four():
    key = keys.generate_key("service")
    assert keys.display_hint(key) == f"sxt_sa-…{key[-4:]}"
    assert keys.hash_key(key) != key and len(keys.hash_key(key)) == 64
