"""Authentication, sessions, applications and read-only access."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import basic, client_of
from tests.helpers import create_product, document, error_type, lock, xml
from xmlapi.catalog import auth
from xmlapi.cli import main
from xmlapi.http.auth import COOKIE
from xmlapi.models import ApiSession


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
    # bob: alice's credentials would join the session they opened above, with no cookie
    response = client_of(app, None).get("/api/", headers={"Authorization": basic("bob")})
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


# Credentials no user could have (issue 10, item 7) -------------------------------------


def raw_basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def limited_logins(app, make_app, amount: int = 3):
    settings = app.extensions["xmlapi.settings"]
    return make_app(settings.replace(ratelimit_failed_login=f"{amount}/minute"))


@pytest.mark.parametrize(
    "raw",
    [
        b"al\x00ice:alice password",
        b"al\x01ice:x",
        b"\xffalice:x",
        b"alice\x7f:x",
        b"x" * 200 + b":x",
    ],
)
def test_unusable_user_names_are_a_counted_401(app, make_app, raw):
    limited = limited_logins(app, make_app)
    stranger = client_of(limited, None)
    for _ in range(3):
        response = stranger.get("/api/", headers=raw_basic(raw))
        assert response.status_code == 401
        assert error_type(response) == "auth.required"
        assert response.headers["WWW-Authenticate"] == 'Basic realm="xmlapi"'
    # every one of them counted as a failed login from this address
    assert stranger.get("/api/", headers={"Authorization": basic("alice")}).status_code == 429


@pytest.mark.parametrize("password", ["\x00", "pass\x00word", "\x1b[31m", "\u2028"])
def test_odd_passwords_are_a_401(anonymous, password):
    response = anonymous.get("/api/", headers={"Authorization": basic("alice", password)})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "cookie",
    ["a\x00b", "\x01\x02", "\xff\xfe", "x" * 5000, "é" * 43, "../../etc", '"quoted"'],
)
def test_odd_cookies_are_a_401_or_give_way_to_credentials(app, cookie):
    stranger = client_of(app, None)
    stranger.environ_base["HTTP_COOKIE"] = f"{COOKIE}={cookie}"
    response = stranger.get("/api/")
    assert response.status_code == 401
    assert error_type(response) == "auth.required"
    assert stranger.get("/api/", headers={"Authorization": basic("alice")}).status_code == 200


def stored_app_ids(engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(connection.scalars(select(ApiSession.app_id)))


def test_an_app_id_over_100_characters_is_cut_to_100(app, engine):
    client = client_of(app)
    client.environ_base["HTTP_USER_AGENT"] = "a" * 150 + "b/1.0 (long)"
    assert client.get("/api/").status_code == 200
    assert stored_app_ids(engine) == ["a" * 100]


def test_control_characters_are_dropped_from_the_app_id(app, engine):
    client = client_of(app)
    client.environ_base["HTTP_USER_AGENT"] = "ti\x00ll\x01/2.0"
    assert client.get("/api/").status_code == 200
    assert stored_app_ids(engine) == ["till"]


def test_a_long_app_id_names_no_registered_app(registered):
    client = app_client(registered, "till" + "x" * 150, "till secret 1")
    assert client.get("/api/").status_code == 401


def test_a_schema_name_with_a_nul_is_a_404(client):
    response = client.get("/api/schemas/in/types.xsd%00.xsd")
    assert response.status_code == 404
    assert error_type(response) == "not_found"


# Failed logins are counted before the password is hashed (issue 10, item 18) ----------


def test_parallel_wrong_passwords_are_hashed_at_most_the_limit(app, make_app, monkeypatch):
    limited = limited_logins(app, make_app, amount=10)
    hashed = []
    real_check = auth.check_password_hash

    def slow_check(*args):
        hashed.append(1)
        time.sleep(0.02)  # a real scrypt check takes longer still
        return real_check(*args)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)

    def guess(n: int) -> int:
        headers = {"Authorization": basic("alice", f"guess {n}")}
        return client_of(limited, None).get("/api/", headers=headers).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(64)))
    assert len(hashed) <= 10
    assert statuses.count(401) == len(hashed)
    assert statuses.count(429) == 64 - len(hashed)


def test_over_the_limit_the_right_password_is_refused_but_a_cookie_is_not(app, make_app):
    limited = limited_logins(app, make_app)
    with_cookie = client_of(limited, "alice")
    assert with_cookie.get("/api/").status_code == 200
    no_jar = limited.test_client(use_cookies=False)
    alice = {"Authorization": basic("alice")}
    assert no_jar.get("/api/", headers=alice).status_code == 200
    for _ in range(3):
        assert (
            no_jar.get("/api/", headers={"Authorization": basic("bob", "guess")}).status_code == 401
        )
    # known credentials are refused too: a right guess must look like a wrong one
    response = no_jar.get("/api/", headers=alice)
    assert response.status_code == 429
    assert error_type(response) == "rate.limited"
    assert with_cookie.get("/api/").status_code == 200


def test_right_passwords_do_not_use_up_the_failed_login_budget(app, make_app):
    limited = limited_logins(app, make_app)
    for _ in range(5):  # five separate logins, each a new cookie jar
        assert client_of(limited, "alice").get("/api/").status_code == 200
        client_of(limited, "alice").post("/api/sessions/current/logout/")


# Password resets and read-only apps (issue 10, item 19) --------------------------------


def test_a_new_password_ends_the_old_sessions_and_their_locks(app, client, database_url):
    product_id = create_product(client, code="PW")
    lock(client, product_id)
    no_jar = app.test_client(use_cookies=False)
    assert no_jar.get("/api/", headers={"Authorization": basic("alice")}).status_code == 200
    result = CliRunner().invoke(
        main,
        ["create-user", "alice", "--password", "a brand new password"],
        env={"XMLAPI_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "sessions and their locks have ended" in result.output
    del client.environ_base["HTTP_AUTHORIZATION"]
    assert client.get("/api/").status_code == 401  # the old cookie is dead
    # the old password no longer works, even where it was known
    assert no_jar.get("/api/", headers={"Authorization": basic("alice")}).status_code == 401
    new = {"Authorization": basic("alice", "a brand new password")}
    assert no_jar.get("/api/", headers=new).status_code == 200
    bob = client_of(app, "bob")
    assert bob.open(f"/api/products/{product_id}/", method="LOCK").status_code == 200


def test_a_registered_read_only_app_may_only_read_when_registration_is_optional(registered, client):
    registered.extensions["xmlapi.settings"] = registered.extensions["xmlapi.settings"].replace(
        require_registered_apps=False
    )
    kiosk = app_client(registered, "kiosk", None)
    assert kiosk.get("/api/products/").status_code == 200
    response = kiosk.post("/api/products/", data=b"<product><code>K</code></product>")
    assert response.status_code == 403
    assert error_type(response) == "auth.forbidden"
    till = app_client(registered, "till", None)
    assert till.post("/api/products/", data=b"<product><code>T</code></product>").status_code == 201


# Pages of other sites (issue 10, item 22) -------------------------------------------


def product_count(client) -> int:
    return int(xml(client.get("/api/products/")).get("total_count"))


def test_a_post_from_another_sites_page_is_refused(client):
    response = client.post(
        "/api/products/",
        data=b"<product><code>CSRF</code></product>",
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert response.status_code == 403
    assert error_type(response) == "auth.forbidden"
    assert product_count(client) == 0


@pytest.mark.parametrize("origin", ["http://localhost", "HTTP://LOCALHOST/", None])
def test_own_origin_or_none_is_accepted(client, origin):
    headers = {"Origin": origin} if origin else {}
    response = client.post(
        "/api/products/", data=b"<product><code>O</code></product>", headers=headers
    )
    assert response.status_code == 201


def test_listed_origins_are_accepted(app, make_app):
    settings = app.extensions["xmlapi.settings"].replace(
        allowed_origins=("https://shop.example:8443",)
    )
    client = client_of(make_app(settings))
    allowed = {"Origin": "https://shop.example:8443"}
    response = client.post(
        "/api/products/", data=b"<product><code>A</code></product>", headers=allowed
    )
    assert response.status_code == 201
    other = {"Origin": "https://shop.example"}
    assert client.get("/api/products/", headers=other).status_code == 403


# Basic credentials on every request, no cookie jar (issue 12, part 2) ---------------


def session_count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ApiSession))


def cookieless(app, user: str = "alice", agent: str = "RubyClient/1.0"):
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_AUTHORIZATION"] = basic(user)
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def test_basic_only_clients_lock_put_and_unlock_in_one_session(app, client, engine, monkeypatch):
    product_id = create_product(client, code="B")
    client.post("/api/sessions/current/logout/")
    hashed = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda *a: hashed.append(1) or real_check(*a))
    ruby = cookieless(app)
    path = f"/api/products/{product_id}/"
    assert ruby.open(path, method="LOCK").status_code == 200
    for n in range(10):
        response = ruby.put(path, data=document("product", {"family": f"F{n}"}))
        assert response.status_code == 200, response.get_data(as_text=True)
    assert ruby.open(path, method="UNLOCK").status_code == 200
    assert session_count(engine) == 1
    assert len(hashed) == 1  # the password was hashed once, not per request


def test_basic_only_sessions_are_per_user_and_per_app(app, client, engine):
    product_id = create_product(client, code="P")
    path = f"/api/products/{product_id}/"
    assert cookieless(app).open(path, method="LOCK").status_code == 200
    assert cookieless(app, agent="OtherApp/1.0").put(path, data=b"<product/>").status_code == 423
    assert cookieless(app, user="bob").put(path, data=b"<product/>").status_code == 423
    assert cookieless(app).put(path, data=b"<product/>").status_code == 200


def test_another_worker_finds_the_session_of_the_same_credentials(app, make_app, client):
    product_id = create_product(client, code="W")
    second = make_app(app.extensions["xmlapi.settings"])
    path = f"/api/products/{product_id}/"
    assert cookieless(app).open(path, method="LOCK").status_code == 200
    assert (
        cookieless(second).put(path, data=b"<product><family>W2</family></product>").status_code
        == 200
    )
    assert cookieless(second).open(path, method="UNLOCK").status_code == 200


def test_a_cookie_still_wins_over_the_session_of_the_credentials(app, anonymous):
    ruby = cookieless(app)
    assert ruby.get("/api/").status_code == 200
    product_id = create_product(ruby, code="C")
    path = f"/api/products/{product_id}/"
    assert ruby.open(path, method="LOCK").status_code == 200
    # a cookie of another session of alice's (opened from another app) is that session
    first = anonymous.get("/api/", headers={"Authorization": basic("alice"), "User-Agent": "Web/1"})
    assert session_cookie(first)
    response = anonymous.put(path, data=b"<product/>", headers={"Authorization": basic("alice")})
    assert response.status_code == 423


def test_a_logout_ends_the_shared_session_and_the_next_request_opens_one(app, engine):
    ruby = cookieless(app)
    assert ruby.get("/api/").status_code == 200
    assert ruby.post("/api/sessions/current/logout/").status_code == 204
    assert session_count(engine) == 0
    assert ruby.get("/api/").status_code == 200
    assert session_count(engine) == 1


def test_wrong_password_with_known_credentials_elsewhere_is_a_401(app):
    assert cookieless(app).get("/api/").status_code == 200
    wrong = app.test_client(use_cookies=False)
    response = wrong.get("/api/", headers={"Authorization": basic("alice", "not it")})
    assert response.status_code == 401
