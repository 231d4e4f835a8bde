"""`make run PORT=5050`: the server, and the links, QR codes and emails the app makes, use the port asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skills_hub import create_app
from skills_hub.config import Config, ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_the_base_url_follows_the_port_in_development():
    assert Config({}).BASE_URL == "http://127.0.0.1:5000"
    assert Config({"SKILLS_HUB_PORT": "5050"}).BASE_URL == "http://127.0.0.1:5050"
    assert Config({"SKILLS_HUB_PORT": "5050"}).PORT == 5050


def test_a_base_url_that_is_set_wins_over_the_port():
    config = Config({"SKILLS_HUB_PORT": "5050", "SKILLS_HUB_BASE_URL": "https://skills.example.test/"})
    assert config.BASE_URL == "https://skills.example.test"


@pytest.mark.parametrize("port", ["0", "65536", "five", "-1", "50 50", "\u0665\u0660\u0665\u0660"])
def test_a_port_that_is_not_a_port_number_refuses_to_start(port):
    with pytest.raises(ConfigError, match="SKILLS_HUB_PORT must be a port number from 1 to 65535"):
        Config({"SKILLS_HUB_PORT": port})


def test_the_verify_link_in_an_app_started_on_another_port_uses_that_port(tmp_path):
    app = create_app(env={"SKILLS_HUB_PORT": "5051", "SKILLS_HUB_DATABASE_URL": "sqlite://",
                          "SKILLS_HUB_SIGNING_KEY": "ab" * 32, "SKILLS_HUB_MAIL_DIR": str(tmp_path)})
    spec = app.test_client().get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["servers"][0]["url"].startswith("http://127.0.0.1:5051")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_passes_the_port_to_every_command_and_to_the_server(tmp_path):
    """The run target, with `flask` replaced by a script that writes down its arguments and SKILLS_HUB_PORT."""
    log = tmp_path / "calls.log"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    flask = fake_bin / "flask"
    flask.write_text(f'#!/bin/sh\necho "$SKILLS_HUB_PORT $*" >> {log}\n')
    flask.chmod(0o755)
    pybabel = fake_bin / "pybabel"  # compiling the catalogues is not this test's business
    pybabel.write_text("#!/bin/sh\nexit 0\n")
    pybabel.chmod(0o755)
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than pyproject.toml and constraints.txt: nothing is installed
    result = subprocess.run(["make", "--no-print-directory", "run", "PORT=5051", f"BIN={fake_bin}",
                             f"STAMP={stamp}"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={key: value for key, value in os.environ.items() if key != "SKILLS_HUB_PORT"},
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "Serving on http://127.0.0.1:5051" in result.stdout
    calls = log.read_text().splitlines()
    assert "5051 run --host 127.0.0.1 --port 5051" in calls
    assert {"5051 db upgrade", "5051 courses sync", "5051 demo load"} <= set(calls)
    assert all(call.startswith("5051 ") for call in calls), calls


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_defaults_to_port_5000():
    result = subprocess.run(["make", "-n", "--no-print-directory", "run"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False,
                            env={key: value for key, value in os.environ.items() if key != "PORT"})
    assert result.returncode == 0, result.stderr
    assert "flask run --host 127.0.0.1 --port 5000" in result.stdout
