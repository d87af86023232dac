"""Settings for the Sextant the conformance suite runs wandb's system tests against.

The test settings, plus the one thing wandb's fixtures assume and Sextant does not
do: their test users log in with their *username* as the API key. The stand-in
fixture service (tests/conformance/fixture_service.py) makes each user a real
Sextant key and leaves it in SEXTANT_CONFORMANCE_KEYS_DIR; `UsernameKeyMiddleware`
swaps a username for that key before Sextant's own key authentication runs. Only
this module installs it: no other settings know about it.
"""

from config.settings import env_str
from config.test_settings import *  # noqa: F403
from config.test_settings import MIDDLEWARE

CONFORMANCE_KEYS_DIR = env_str("SEXTANT_CONFORMANCE_KEYS_DIR")
MIDDLEWARE = ["tests.conformance.usernamekeys.UsernameKeyMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "tests.conformance.urls"
