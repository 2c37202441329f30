"""The memory guard: refuse an in-process training near the server's limit, with a sentence that helps."""

from __future__ import annotations

import pytest

from modeling import settings
from modeling.training.memory_guard import MemoryLimitReached, check_memory, resident_mb


def test_no_limit_means_no_guard(monkeypatch):
    monkeypatch.delenv("MODELDECK_MEMORY_LIMIT_MB", raising=False)
    monkeypatch.delenv("HOSTNAME", raising=False)
    assert settings.memory_limit_mb() is None
    check_memory(used_mb=10**6)  # nothing to compare with: never refuses


def test_streamlit_cloud_gets_its_ceiling_by_default_and_a_setting_wins():
    assert settings.memory_limit_mb({"HOSTNAME": "streamlit"}) == 2700
    assert settings.memory_limit_mb({"HOSTNAME": "streamlit", "MODELDECK_MEMORY_LIMIT_MB": "1_500"}) == 1500
    assert settings.memory_limit_mb({"MODELDECK_MEMORY_LIMIT_MB": "lots"}) is None  # logged, ignored


def test_below_the_limit_a_training_starts():
    check_memory(limit_mb=2700, used_mb=1500, reserve_mb=600, cluster=False)


def test_near_the_limit_a_training_is_refused_with_the_figures_and_what_to_do():
    with pytest.raises(MemoryLimitReached) as caught:
        check_memory(limit_mb=2700, used_mb=2310.4, reserve_mb=600, cluster=False)
    message = str(caught.value)
    assert "2,310 MB of its 2,700 MB" in message and "about 600 MB more" in message
    assert "MODELDECK_RAY_ADDRESS" in message and "Send it to the Ray cluster" not in message
    with pytest.raises(MemoryLimitReached, match="Send it to the Ray cluster instead"):
        check_memory(limit_mb=2700, used_mb=2310, reserve_mb=600, cluster=True)


def test_trainings_already_running_count_towards_the_limit():
    check_memory(limit_mb=2700, used_mb=1900, reserve_mb=600, running=0, cluster=False)
    with pytest.raises(MemoryLimitReached):
        check_memory(limit_mb=2700, used_mb=1900, reserve_mb=600, running=1, cluster=False)


def test_this_process_memory_is_read():
    used = resident_mb()
    assert used is not None and 10 < used < 100_000
