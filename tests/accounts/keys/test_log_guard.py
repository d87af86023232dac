"""The suite-wide guard (tests/conftest.py) really catches a key in the logs."""

import logging
import os
import subprocess
import sys
from pathlib import Path

from accounts import keys
from tests.log_guard import KeyMaterialHandler, contains_key_material, redact

REPO = Path(__file__).resolve().parents[3]


def test_the_scanner_finds_both_kinds_of_key_and_nothing_else():
    for kind in ("personal", "service"):
        key = keys.generate_key(kind)
        assert contains_key_material(f"Authorization: Bearer {key}")
        assert key not in redact(f"x {key} y")
    assert not contains_key_material("sxt_pk-…abcd and sxt_sa-short and sha256 " + "a" * 64)


def test_the_handler_sees_keys_in_arguments_and_tracebacks():
    handler = KeyMaterialHandler()
    log = logging.getLogger("tests.accounts.keys.guard")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.info("fine: %s", "nothing here")
        assert handler.offences == []
        log.debug("key %s", keys.generate_key("personal"))
        try:
            raise ValueError(keys.generate_key("service"))
        except ValueError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert len(handler.offences) == 2
    assert not any(contains_key_material(o) for o in handler.offences)  # the report itself is redacted


def run_suite(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text("from tests.conftest import no_key_material_in_logs  # noqa: F401\n")
    (tmp_path / "test_planted.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "pytest_django",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_session_that_logs_a_key_fails(tmp_path):
    planted = keys.generate_key("personal")
    result = run_suite(
        tmp_path,
        f"import logging\ndef test_one():\n    logging.getLogger('some.library').debug('sending %s', {planted!r})\n",
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "API key material reached the logs" in out and "some.library" in out
    assert planted not in out


def test_a_clean_session_passes(tmp_path):
    result = run_suite(
        tmp_path, "import logging\ndef test_one():\n    logging.getLogger('x').warning('sxt_pk-…abcd')\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr
