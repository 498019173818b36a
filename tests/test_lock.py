"""The pinned installs' lock is current: made from setup.cfg's requirements, pinning each."""

from __future__ import annotations

from scripts import lock


def test_the_lock_is_current():
    assert lock.problems() == []


def test_a_changed_requirement_makes_the_lock_stale(tmp_path):
    setup_cfg = tmp_path / "setup.cfg"
    setup_cfg.write_text(
        lock.SETUP_CFG.read_text().replace(
            "    tqdm>=4.66,<5\n", "    tqdm>=4.66,<5\n    rich>=13\n"
        )
    )
    issues = lock.problems(setup_cfg, lock.LOCK)
    assert issues[0].startswith("setup.cfg's requirements changed")
    assert "rich is not pinned in constraints.txt: run make lock" in issues


def test_a_pin_outside_its_bounds_is_caught(tmp_path):
    stale = tmp_path / "constraints.txt"
    stale.write_text(lock.LOCK.read_text().replace("\nflask==", "\nflask==2.3.0\n# was flask=="))
    assert "flask==2.3.0 is outside Flask>=3.1,<4: run make lock" in lock.problems(
        lock.SETUP_CFG, stale
    )
