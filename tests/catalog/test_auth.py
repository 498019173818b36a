"""Users, sessions and apps without HTTP (catalog/auth.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from xmlapi.catalog import auth
from xmlapi.catalog.organizations import create_organization
from xmlapi.models import ApiSession, App, Membership, User

IDLE = dt.timedelta(minutes=30)
PASSWORD = "correct horse"


def user_named(session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def sessions_of(session, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(ApiSession).where(ApiSession.user_id == user.id)
    )


def memberships(session, user: User) -> list[int]:
    return list(
        session.scalars(
            select(Membership.organization_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.position)
        )
    )


def new_user(session, name: str = "carol", **options) -> User:
    auth.save_user(session, name, PASSWORD, **options)
    session.commit()
    return user_named(session, name)


# save_user ---------------------------------------------------------------------------


def test_save_user_creates_a_member_of_organization_1_and_says_so(session):
    assert auth.save_user(session, "  carol  ", PASSWORD) is True
    session.commit()
    user = user_named(session, "carol")  # the name is stripped
    assert user.read_only is False
    assert user.password_hash != PASSWORD
    assert memberships(session, user) == [1]


def test_save_user_of_an_existing_name_resets_it_and_says_so(session):
    user = new_user(session)
    assert auth.save_user(session, "carol", "another password", read_only=True) is False
    session.commit()
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert user_named(session, "carol").read_only is True
    assert auth.authenticate(session, "carol", "another password").id == user.id
    assert auth.authenticate(session, "carol", PASSWORD) is None


@pytest.mark.parametrize("name", ["", "   ", "a:b", "x" * 151])
def test_a_user_name_is_1_to_150_characters_without_a_colon(session, name):
    with pytest.raises(ValueError, match="user name"):
        auth.save_user(session, name, PASSWORD)
    assert not session.new
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_user_name_of_150_characters_is_taken(session):
    assert auth.save_user(session, "x" * 150, PASSWORD) is True


def test_a_password_has_at_least_8_characters(session):
    with pytest.raises(ValueError, match="at least 8"):
        auth.save_user(session, "carol", "x" * 7)
    assert not session.new
    assert auth.save_user(session, "carol", "x" * 8) is True


def test_a_refused_password_leaves_an_existing_user_as_it_was(session):
    user = new_user(session)
    auth.open_session(session, user, False, None, IDLE)
    with pytest.raises(ValueError):
        auth.save_user(session, "carol", "short", read_only=True)
    session.commit()
    assert auth.authenticate(session, "carol", PASSWORD) is not None
    assert sessions_of(session, user) == 1


def test_a_reset_password_ends_the_users_sessions_only(session):
    carol, dave = new_user(session, "carol"), new_user(session, "dave")
    auth.open_session(session, carol, False, None, IDLE)
    auth.open_session(session, carol, False, "app", IDLE)
    auth.open_session(session, dave, False, None, IDLE)
    auth.save_user(session, "carol", "new password")
    session.commit()
    assert (sessions_of(session, carol), sessions_of(session, dave)) == (0, 1)


def test_memberships_are_set_first_one_first(session):
    other = create_organization(session, "Other")
    session.commit()
    user = new_user(session, organization_ids=[other.id, 1])
    assert memberships(session, user) == [other.id, 1]


def test_a_reset_without_organizations_keeps_the_memberships(session):
    other = create_organization(session, "Other")
    session.commit()
    user = new_user(session, organization_ids=[other.id])
    auth.save_user(session, "carol", "new password")
    session.commit()
    assert memberships(session, user) == [other.id]


def test_an_unknown_organization_is_refused(session):
    with pytest.raises(ValueError, match="no organization"):
        auth.save_user(session, "carol", PASSWORD, organization_ids=[999])


@pytest.mark.parametrize(
    ("name", "usable"),
    [("carol", True), ("", False), ("x" * 150, True), ("x" * 151, False), ("a\0b", False)],
)
def test_usable_user_names_have_no_control_characters(name, usable):
    assert auth.usable_user_name(name) is usable


# authenticate ------------------------------------------------------------------------


def test_authenticate_needs_the_right_name_and_password(session):
    user = new_user(session)
    assert auth.authenticate(session, "carol", PASSWORD).id == user.id
    assert auth.authenticate(session, "carol", PASSWORD + "!") is None
    assert auth.authenticate(session, "nobody", PASSWORD) is None


# sessions ----------------------------------------------------------------------------


def test_a_session_is_found_by_its_token_which_is_stored_only_as_a_digest(session):
    user = new_user(session)
    token, info = auth.open_session(session, user, False, "kiosk", IDLE)
    assert session.get(ApiSession, token) is None
    assert session.get(ApiSession, auth.token_digest(token)) is not None
    found = auth.find_session(session.connection(), token)
    assert found == info
    assert (found.user_name, found.app_id, found.read_only, found.organization_id) == (
        "carol",
        "kiosk",
        False,
        1,
    )
    assert found.expires - found.last_seen == IDLE
    assert auth.find_session(session.connection(), token + "x") is None


def test_a_session_is_read_only_when_the_user_or_the_app_is(session):
    reader = new_user(session, "reader", read_only=True)
    writer = new_user(session, "writer")
    assert auth.open_session(session, reader, False, None, IDLE)[1].read_only is True
    assert auth.open_session(session, writer, True, "kiosk", IDLE)[1].read_only is True
    assert auth.open_session(session, writer, False, None, IDLE)[1].read_only is False


def test_a_user_of_no_organization_has_none_in_its_session(session):
    user = new_user(session)
    session.execute(Membership.__table__.delete())
    session.commit()
    assert auth.open_session(session, user, False, None, IDLE)[1].organization_id is None


def test_a_session_expires_after_its_idle_time(session, clock):
    user = new_user(session)
    token, info = auth.open_session(session, user, False, None, IDLE)
    clock.advance(minutes=29)
    assert auth.alive(info)
    assert auth.find_session(session.connection(), token) is not None
    clock.advance(minutes=1)
    assert not auth.alive(info)
    assert auth.find_session(session.connection(), token) is None


def test_opening_a_session_sweeps_the_expired_ones(session, clock):
    user = new_user(session)
    auth.open_session(session, user, False, None, dt.timedelta(minutes=1))
    auth.open_session(session, user, False, None, IDLE)
    clock.advance(minutes=2)
    auth.open_session(session, user, False, None, IDLE)
    assert sessions_of(session, user) == 2


def test_touch_is_due_once_per_period_and_pushes_the_expiry_out(session, clock):
    user = new_user(session)
    token, info = auth.open_session(session, user, False, None, IDLE)
    every = dt.timedelta(minutes=5)
    clock.advance(minutes=4)
    assert not auth.touch_due(info, every)
    clock.advance(minutes=1)
    assert auth.touch_due(info, every)
    touched = auth.touch(session.connection(), info, IDLE)
    assert touched.expires == touched.last_seen + IDLE
    assert touched.expires >= info.expires + every
    clock.advance(minutes=29)  # past the first expiry, within the pushed one
    assert auth.find_session(session.connection(), token).expires == touched.expires


def test_an_ended_session_is_gone(session):
    user = new_user(session)
    token, info = auth.open_session(session, user, False, None, IDLE)
    auth.end_session(session, info.id)
    assert auth.find_session(session.connection(), token) is None


def test_basic_credentials_find_the_session_they_opened_last(session, clock):
    user = new_user(session)
    auth.open_session(session, user, False, "app", IDLE)
    clock.advance(seconds=1)
    _, last = auth.open_session(session, user, False, "app", IDLE)
    auth.open_session(session, user, False, "other", IDLE)
    key = auth.credentials_key(user.id, "app", user.password_hash)
    assert auth.find_credentials_session(session.connection(), key) == last


def test_basic_credentials_find_no_session_once_the_password_changed(session):
    user = new_user(session)
    auth.open_session(session, user, False, None, IDLE)
    key = auth.credentials_key(user.id, None, user.password_hash)
    assert auth.find_credentials_session(session.connection(), key) is not None
    # the hash changes under the session (save_user would also end it)
    session.execute(update(User).values(password_hash="pbkdf2:sha256:1$x$y"))
    session.commit()
    assert auth.find_credentials_session(session.connection(), key) is None


def test_the_credentials_key_depends_on_user_app_and_hash_not_on_the_password():
    key = auth.credentials_key(1, None, "hash")
    assert key == auth.credentials_key(1, "", "hash")
    others = {
        auth.credentials_key(2, None, "hash"),
        auth.credentials_key(1, "app", "hash"),
        auth.credentials_key(1, None, "other"),
    }
    assert key not in others and len(others) == 3


# apps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_id", "private_id"),
    [("", "x" * 8), ("a/b", "x" * 8), ("a" * 101, "x" * 8), ("app", "x" * 7)],
)
def test_an_app_needs_a_plain_id_and_a_long_enough_private_id(session, app_id, private_id):
    with pytest.raises(ValueError):
        auth.register_app(session, app_id, private_id)
    assert not session.new


def test_a_registered_app_is_proved_by_its_private_id_only(session):
    assert auth.register_app(session, "kiosk", "kiosk secret", read_only=True) is True
    session.commit()
    assert session.get(App, "kiosk").private_id_hash != "kiosk secret"
    assert auth.check_app(session, "kiosk", "kiosk secret").app_id == "kiosk"
    assert auth.check_app(session, "kiosk", "wrong secret") is None
    assert auth.check_app(session, "unknown", "kiosk secret") is None
    assert auth.check_app(session, "kiosk", None) is None


def test_registering_again_replaces_the_private_id_and_access(session):
    auth.register_app(session, "kiosk", "kiosk secret", read_only=True)
    session.commit()
    assert auth.register_app(session, "kiosk", "new secret") is False
    session.commit()
    assert auth.check_app(session, "kiosk", "kiosk secret") is None
    assert auth.check_app(session, "kiosk", "new secret") is not None
    assert auth.app_is_read_only(session, "kiosk") is False


def test_only_a_registered_read_only_app_is_read_only(session):
    auth.register_app(session, "kiosk", "kiosk secret", read_only=True)
    session.commit()
    assert auth.app_is_read_only(session, "kiosk") is True
    assert auth.app_is_read_only(session, "unknown") is False
    assert auth.app_is_read_only(session, None) is False
