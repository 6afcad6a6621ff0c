from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest

from telegemini import cli
from telegemini.cli import main
from telegemini.sandbox import runner

CREDENTIALS = ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "K_SERVICE")


@dataclass
class StubSandbox:
    url: str
    model_label: str = "Demo model (offline)"

    def banner(self) -> str:
        return f"telegemini sandbox is ready\n  chat page  {self.url}"


@pytest.fixture
def sandbox_runs(monkeypatch) -> list[dict[str, Any]]:
    """Replace the sandbox runner: record how it was asked to run, announce, return at once."""
    runs: list[dict[str, Any]] = []

    async def run_sandbox(settings, *, host, port, open_browser, on_ready):
        runs.append({"host": host, "port": port, "open_browser": open_browser})
        on_ready(StubSandbox(f"http://{host}:{port or 40001}"))

    monkeypatch.setattr(runner, "run_sandbox", run_sandbox)
    return runs


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_credentials")
def test_run_without_a_token_starts_the_sandbox_and_explains(sandbox_runs, capsys):
    assert main(["run"]) == 0
    out, err = capsys.readouterr()
    assert "starting the local sandbox at http://127.0.0.1:8765" in err
    assert "@BotFather" in err
    assert sandbox_runs == [{"host": "127.0.0.1", "port": 8765, "open_browser": True}]
    assert "chat page  http://127.0.0.1:8765" in out


@pytest.mark.usefixtures("no_credentials")
def test_run_with_a_token_but_no_key_still_says_what_is_missing(monkeypatch, sandbox_runs, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert main(["run"]) == 2
    assert "GOOGLE_API_KEY" in capsys.readouterr().err
    assert sandbox_runs == []


@pytest.mark.usefixtures("no_credentials")
def test_on_cloud_run_a_missing_token_is_an_error_not_a_sandbox(monkeypatch, sandbox_runs, capsys):
    monkeypatch.setenv("K_SERVICE", "telegemini")
    assert main(["run"]) == 2
    assert "@BotFather" in capsys.readouterr().err
    assert sandbox_runs == []


@pytest.mark.usefixtures("no_credentials")
def test_sandbox_command_options(sandbox_runs, capsys):
    assert main(["sandbox", "--port", "0", "--host", "127.0.0.2", "--no-browser"]) == 0
    assert sandbox_runs == [{"host": "127.0.0.2", "port": 0, "open_browser": False}]
    assert "chat page  http://127.0.0.2:40001" in capsys.readouterr().out


@pytest.mark.usefixtures("no_credentials")
def test_sandbox_on_a_busy_port_says_so(monkeypatch, capsys):
    async def busy(settings, **kwargs):
        raise runner.CannotListenError("cannot listen on 127.0.0.1:8765 (address already in use)")

    monkeypatch.setattr(runner, "run_sandbox", busy)
    assert main(["sandbox", "--no-browser"]) == 1
    assert "cannot listen on 127.0.0.1:8765" in capsys.readouterr().err


@pytest.mark.usefixtures("no_credentials")
def test_the_sandbox_start_shows_no_migration_lines(sandbox_runs, capsys):
    assert main(["sandbox", "--no-browser"]) == 0
    # Each run's fresh database is migrated from scratch: nothing a newcomer needs to read.
    assert not logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
    assert not logging.getLogger("telegemini.app").isEnabledFor(logging.INFO)


def test_invalid_configuration_lists_every_problem(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "-1")
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(SystemExit) as exit_info:
        main(["run"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "PORT" in err
    assert "LOG_FORMAT" in err


def test_migrate_creates_the_database(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    assert (tmp_path / "data" / "telegemini.db").exists()  # relative to the working directory


def test_in_a_container_a_configuration_problem_waits_instead_of_crash_looping(
    monkeypatch, tmp_path, capsys
):
    """Compose restarts a container whose main process exits: with a half-filled .env that
    would be a restart loop. As PID 1 the bot says what is wrong once and waits to be stopped."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:AAE-token-but-no-key")
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    waited = []
    monkeypatch.setattr(cli.os, "getpid", lambda: 1)
    monkeypatch.setattr(cli, "_wait_for_stop", lambda: waited.append("until stopped"))

    assert cli.main(["run"]) == 2
    assert waited == ["until stopped"]
    err = capsys.readouterr().err
    assert "GOOGLE_API_KEY is not set" in err
    assert "waiting to be stopped: fix the configuration" in err


def test_outside_a_container_a_configuration_problem_exits_at_once(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:AAE-token-but-no-key")
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "_wait_for_stop", lambda: pytest.fail("must not wait"))
    assert cli.main(["run"]) == 2
