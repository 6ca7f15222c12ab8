"""The layer rules import-linter cannot say, and the start-up rules for secrets."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import load_settings
from helpline.container import development_secrets

ROOT = Path(__file__).resolve().parent.parent
CODE = [*sorted((ROOT / "helpline").rglob("*.py")), *sorted((ROOT / "workers").rglob("*.py"))]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def importers_of(prefix: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in CODE
        if any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path))
    }


def test_only_the_store_imports_redis():
    outside = {p for p in importers_of("redis") if not p.startswith("helpline/store/")}
    assert outside == {"helpline/infra/embedded_redis.py"}  # the server's lifecycle, not a data path


def test_only_the_twilio_client_imports_the_rest_api():
    assert importers_of("twilio.rest") == {"helpline/infra/twilio_client.py"}


def test_the_domain_imports_without_flask_redis_or_twilio():
    domain = sorted(f"helpline.domain.{p.stem}" for p in (ROOT / "helpline" / "domain").glob("*.py"))
    probe = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in domain)
        + "heavy = {'flask', 'werkzeug', 'redis', 'rq', 'requests', 'twilio', 'urllib3'}\n"
        + "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize(
    ("secret_key", "data_key", "missing"),
    [
        (None, "k", "SECRET_KEY"),
        ("s", None, "HELPLINE_DATA_KEY"),
        (None, None, "SECRET_KEY and HELPLINE_DATA_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, secret_key, data_key, missing):
    settings = load_settings(
        var_dir=tmp_path,
        twilio_account_sid="AC1",
        twilio_auth_token="t",
        secret_key=secret_key,
        data_key=data_key,
    )
    with pytest.raises(SystemExit, match=missing):
        development_secrets(settings)
    assert not (tmp_path / "secrets").exists()  # no per-host key made behind the operator's back


def test_development_generates_secrets_every_process_of_the_checkout_shares(tmp_path):
    first = development_secrets(load_settings(var_dir=tmp_path))
    second = development_secrets(load_settings(var_dir=tmp_path))
    assert first.secret_key and first.data_key
    assert (first.secret_key, first.data_key) == (second.secret_key, second.data_key)
