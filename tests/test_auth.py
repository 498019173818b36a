"""Authentication, sessions, applications and read-only access."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import basic, client_of
from tests.helpers import create_product, error_type, lock, xml
from xmlapi.api.auth import COOKIE
from xmlapi.catalog import auth
from xmlapi.cli import main


def session_cookie(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]
    assert len(headers) == 1, headers
    return headers[0]


def test_no_identity_is_a_401_with_a_basic_challenge(anonymous):
    response = anonymous.get("/api/products/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="xmlapi"'
    assert error_type(response) == "auth.required"


@pytest.mark.parametrize("path", ["/api/", "/api/schemas/", "/api/setup/classes/"])
def test_every_api_path_needs_an_identity(anonymous, path):
    assert anonymous.get(path).status_code == 401


@pytest.mark.parametrize("name,password", [("alice", "wrong password"), ("nobody", "x"), ("", "")])
def test_wrong_credentials_are_a_401(anonymous, name, password):
    response = anonymous.get("/api/", headers={"Authorization": basic(name, password)})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert "Set-Cookie" not in response.headers


def test_first_request_opens_a_session_cookie_with_path_first(anonymous):
    response = anonymous.get("/api/", headers={"Authorization": basic("alice")})
    assert response.status_code == 200
    cookie = session_cookie(response)
    name_value, *attributes = cookie.split("; ")
    token = name_value.split("=", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64
    assert attributes[0] == "Path=/"
    assert "HttpOnly" in attributes
    assert "Secure" not in attributes


def test_cookie_is_secure_over_https_or_when_told(app, anonymous):
    response = anonymous.get(
        "/api/", headers={"Authorization": basic("alice")}, base_url="https://localhost"
    )
    assert "Secure" in session_cookie(response).split("; ")
    app.extensions["xmlapi.settings"] = app.extensions["xmlapi.settings"].replace(
        cookie_secure=True
    )
    response = client_of(app, None).get("/api/", headers={"Authorization": basic("alice")})
    assert "Secure" in session_cookie(response).split("; ")


def test_the_cookie_alone_authenticates_without_rehashing(anonymous, monkeypatch):
    first = anonymous.get("/api/", headers={"Authorization": basic("alice")})
    assert first.status_code == 200
    calls = []
    monkeypatch.setattr(auth, "check_password_hash", lambda *a: calls.append(a) or False)
    assert anonymous.get("/api/products/").status_code == 200  # cookie only
    assert (
        anonymous.get("/api/products/", headers={"Authorization": basic("alice")}).status_code
        == 200
    )  # cookie plus the same user's credentials: still no hash
    assert calls == []


def test_another_users_credentials_win_over_the_cookie(app, anonymous):
    anonymous.get("/api/", headers={"Authorization": basic("alice")})
    product_id = create_product(anonymous, code="X")
    lock(anonymous, product_id)
    response = anonymous.get("/api/", headers={"Authorization": basic("bob")})
    assert response.status_code == 200
    assert session_cookie(response)  # bob gets a session of his own
    # ... which does not hold alice's lock
    response = anonymous.put(
        f"/api/products/{product_id}/", data=b"<product><family>F</family></product>"
    )
    assert response.status_code == 423


def test_a_cookie_with_wrong_credentials_of_another_user_is_refused(anonymous):
    anonymous.get("/api/", headers={"Authorization": basic("alice")})
    response = anonymous.get("/api/", headers={"Authorization": basic("bob", "wrong")})
    assert response.status_code == 401


def test_an_unknown_or_expired_cookie_falls_back_to_credentials(anonymous, clock):
    anonymous.set_cookie(COOKIE, "made-up-token")
    assert anonymous.get("/api/").status_code == 401
    assert anonymous.get("/api/", headers={"Authorization": basic("alice")}).status_code == 200
    clock.advance(seconds=31 * 60)  # past the 30 minute idle timeout
    assert anonymous.get("/api/").status_code == 401


def test_use_keeps_a_session_alive(anonymous, clock):
    anonymous.get("/api/", headers={"Authorization": basic("alice")})
    for _ in range(4):
        clock.advance(seconds=20 * 60)
        assert anonymous.get("/api/").status_code == 200


def test_logout_ends_the_session_and_releases_its_locks(app, client):
    product_id = create_product(client, code="L")
    lock(client, product_id)
    response = client.post("/api/sessions/current/logout/")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Max-Age=0" in session_cookie(response)
    bob = client_of(app, "bob")
    assert bob.open(f"/api/products/{product_id}/", method="LOCK").status_code == 200


def test_logout_without_slash(client):
    assert client.post("/api/sessions/current/logout").status_code == 204


# Read-only users and applications ----------------------------------------------------


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/api/products/", b"<product><code>R</code></product>"),
        ("PUT", "/api/products/{id}/", b"<product/>"),
        ("DELETE", "/api/products/{id}/", None),
        ("LOCK", "/api/products/{id}/", None),
        ("UNLOCK", "/api/products/{id}/", None),
        ("POST", "/api/setup/classes/", b"<class><name>x</name></class>"),
    ],
)
def test_a_read_only_user_may_only_read(app, client, method, path, body):
    product_id = create_product(client, code="RO")
    reader = client_of(app, "reader")
    response = reader.open(path.format(id=product_id), method=method, data=body)
    assert response.status_code == 403
    assert error_type(response) == "auth.forbidden"
    assert reader.get(f"/api/products/{product_id}/").status_code == 200
    assert reader.post("/api/sessions/current/logout/").status_code == 204


@pytest.fixture
def registered(app, engine, database_url, tmp_path):
    runner = CliRunner()
    env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
    for args in (
        ["register-app", "till", "--private-id", "till secret 1"],
        ["register-app", "kiosk", "--private-id", "kiosk secret", "--read-only"],
    ):
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    app.extensions["xmlapi.settings"] = app.extensions["xmlapi.settings"].replace(
        require_registered_apps=True
    )
    return app


def app_client(app, app_id, private_id, header="X-PAPPID"):
    client = client_of(app, "alice")
    client.environ_base["HTTP_USER_AGENT"] = f"{app_id}/2.1"
    if private_id is not None:
        client.environ_base["HTTP_" + header.upper().replace("-", "_")] = private_id
    return client


def test_any_app_is_accepted_by_default(client):
    client.environ_base["HTTP_USER_AGENT"] = "whatever/1.0"
    assert client.get("/api/").status_code == 200


@pytest.mark.parametrize(
    "app_id,private_id",
    [
        ("till", "wrong secret"),
        ("till", None),
        ("unknown", "till secret 1"),
        ("", None),
    ],
)
def test_registered_apps_only(registered, app_id, private_id):
    response = app_client(registered, app_id, private_id).get("/api/")
    assert response.status_code == 401
    assert error_type(response) == "auth.required"


def test_a_registered_app_gets_in(registered):
    client = app_client(registered, "till", "till secret 1")
    assert client.get("/api/").status_code == 200
    assert (
        client.post("/api/products/", data=b"<product><code>A</code></product>").status_code == 201
    )


def test_the_legacy_underscore_header_is_read(registered):
    client = app_client(registered, "till", "till secret 1", header="X_PAPPID")
    assert client.get("/api/").status_code == 200


def test_a_read_only_app_may_only_read(registered):
    client = app_client(registered, "kiosk", "kiosk secret")
    assert client.get("/api/products/").status_code == 200
    response = client.post("/api/products/", data=b"<product><code>K</code></product>")
    assert response.status_code == 403


def test_a_session_stays_with_its_app(registered):
    client = app_client(registered, "till", "till secret 1")
    assert client.get("/api/").status_code == 200
    client.environ_base["HTTP_USER_AGENT"] = "kiosk/1.0"
    assert client.get("/api/").status_code == 401


def test_register_app_refuses_a_short_private_id(database_url, engine, tmp_path):
    result = CliRunner().invoke(
        main,
        ["register-app", "x", "--private-id", "short"],
        env={"XMLAPI_DATABASE_URL": database_url},
    )
    assert result.exit_code != 0
    assert "at least" in result.output


def test_the_index_answers_only_when_authenticated(client):
    assert xml(client.get("/api/")).tag == "api"
