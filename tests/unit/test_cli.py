from __future__ import annotations

import pytest

from telegemini.cli import main


def test_run_without_credentials_explains_what_to_do(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err
    assert "GOOGLE_API_KEY" in err


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
