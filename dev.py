#!/usr/bin/env python3
"""Run Huibao from a fresh checkout with nothing but python3 (3.11 or newer).

    python3 dev.py serve [huibao serve options]   # http://127.0.0.1:8000 with demo data
    python3 dev.py test [pytest options]          # the test suite; exit status is pytest's

The first run creates .venv and installs the project into it; later runs reinstall only
when pyproject.toml has changed. Standard library only: this runs before anything is
installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".huibao-installed"
EXTRAS = "test"
USAGE = "usage: python3 dev.py serve [huibao serve options] | python3 dev.py test [pytest options]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(USAGE, file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs under any python3 to say so)
        return fail(f"Huibao needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    command, rest = argv[0], argv[1:]
    problem = ensure_venv() or ensure_installed()
    if problem:
        return fail(problem)
    if command == "serve":
        os.environ.setdefault("HUIBAO_DATA_DIR", str(ROOT / "data"))
        return run_final([str(venv_bin("huibao")), "serve", "--demo", *rest])
    return run_final([str(venv_bin("python")), "-m", "pytest", *rest])


def fail(message: str) -> int:
    print(f"dev.py: {message}", file=sys.stderr)
    return 1


def venv_bin(name: str) -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / (name + ".exe")
    return VENV / "bin" / name


def ensure_venv() -> str | None:
    python = venv_bin("python")
    if python.exists() and quiet([str(python), "-m", "pip", "--version"]).returncode == 0:
        return None
    print("dev.py: creating .venv (first run only)", file=sys.stderr)
    shutil.rmtree(VENV, ignore_errors=True)  # a half-made one from an earlier failure
    result = quiet([sys.executable, "-m", "venv", str(VENV)])
    if result.returncode != 0 or not python.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        detail = result.stdout.strip().splitlines()[-1:] or ["venv failed"]
        return (
            f"cannot create .venv ({detail[0]}); on Debian or Ubuntu: "
            f"sudo apt-get install python3-venv"
        )
    return None


def ensure_installed() -> str | None:
    wanted = install_fingerprint()
    if STAMP.exists() and STAMP.read_text(encoding="utf-8") == wanted:
        return None
    print("dev.py: installing dependencies into .venv", file=sys.stderr)
    result = quiet(
        [
            str(venv_bin("python")),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "--editable",
            f".[{EXTRAS}]",
        ]
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        return "installing the project failed (pip's output is above)"
    STAMP.write_text(wanted, encoding="utf-8")
    return None


def install_fingerprint() -> str:
    """What the installed environment was built from: a change means reinstall."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(f"[{EXTRAS}] {sys.version_info[:2]}".encode())
    return digest.hexdigest()


def quiet(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a set-up step, keeping its output (shown only if it fails)."""
    return subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def run_final(command: list[str]) -> int:
    """Hand over to the server or to pytest: on POSIX the process is replaced, so
    Ctrl-C and the exit status go straight to it."""
    os.chdir(ROOT)
    if os.name == "posix":
        os.execv(command[0], command)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
