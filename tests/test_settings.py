"""Settings from XMLAPI_* variables, and the README table that documents them."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from xmlapi.settings import VARIABLES, SettingsError, from_environ

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults():
    settings = from_environ({})
    assert settings.data_dir == Path("var")
    assert settings.database_url == f"sqlite:///{Path('var').resolve() / 'xmlapi.db'}"
    assert settings.tax_inclusive is False
    assert settings.default_tax_rate == Decimal(7)
    assert settings.max_body_bytes == 1024 * 1024


def test_values_are_read_and_coerced(tmp_path):
    settings = from_environ(
        {
            "XMLAPI_DATA_DIR": str(tmp_path),
            "XMLAPI_TAX_INCLUSIVE": "1",
            "XMLAPI_DEFAULT_TAX_RATE": "8.25",
            "XMLAPI_MAX_BODY_BYTES": "2048",
        }
    )
    assert settings.database_url == f"sqlite:///{tmp_path / 'xmlapi.db'}"
    assert settings.tax_inclusive is True
    assert settings.default_tax_rate == Decimal("8.25")
    assert settings.max_body_bytes == 2048


def test_the_proxy_and_webhook_settings_are_read():
    settings = from_environ(
        {"XMLAPI_TRUSTED_PROXIES": "2", "XMLAPI_WEBHOOK_PRIVATE_RECEIVERS": "1"}
    )
    assert (settings.trusted_proxies, settings.webhook_private_receivers) == (2, True)
    default = from_environ({})
    assert (default.trusted_proxies, default.webhook_private_receivers) == (0, False)


def test_allowed_origins_are_read_as_a_list():
    settings = from_environ({"XMLAPI_ALLOWED_ORIGINS": " https://Shop.example/, http://a:8080"})
    assert settings.allowed_origins == ("https://shop.example", "http://a:8080")


@pytest.mark.parametrize(
    "name,value",
    [
        ("XMLAPI_TAX_INCLUSIVE", "maybe"),
        ("XMLAPI_DEFAULT_TAX_RATE", "seven"),
        ("XMLAPI_DEFAULT_TAX_RATE", "150"),
        ("XMLAPI_MAX_BODY_BYTES", "0"),
        ("XMLAPI_MAX_BODY_BYTES", "1MB"),
        ("XMLAPI_DATABASE_URL", "mysql://x"),
        ("XMLAPI_RATELIMIT_STORAGE", "memcached://x"),
        ("XMLAPI_RATELIMIT_DEFAULT", "lots"),
        ("XMLAPI_LOG_LEVEL", "LOUD"),
        ("XMLAPI_BODY_TIMEOUT_SECONDS", "0"),
        ("XMLAPI_RATELIMIT_TIMEOUT_SECONDS", "nan"),
        ("XMLAPI_ALLOWED_ORIGINS", "shop.example"),
        ("XMLAPI_ALLOWED_ORIGINS", "https://shop.example/path"),
        ("XMLAPI_TRUSTED_PROXIES", "-1"),
        ("XMLAPI_TRUSTED_PROXIES", "6"),
        ("XMLAPI_TRUSTED_PROXIES", "99999999999999999999"),
        ("XMLAPI_TRUSTED_PROXIES", "one"),
        ("XMLAPI_WEBHOOK_PRIVATE_RECEIVERS", "sometimes"),
    ],
)
def test_a_bad_value_names_the_variable(name, value):
    with pytest.raises(SettingsError) as caught:
        from_environ({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}=")
    assert "\n" not in message


def test_readme_documents_every_variable_and_no_other():
    documented = set(re.findall(r"^\| `(XMLAPI_[A-Z_]+)` \|", README.read_text(), re.MULTILINE))
    assert documented == {variable.env for variable in VARIABLES}
