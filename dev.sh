#!/usr/bin/env bash
# The two quick-start commands of the README:
#   ./dev.sh demo   set everything up, build the demo county and open Guopei Desk on it
#   ./dev.sh test   set everything up and run the whole test suite (what CI runs)
# Setup is idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# System packages: Qt's runtime libraries, poppler (pdftotext/pdftoppm) and zbar (zbarimg) for the
# tests that read back PDFs and QR codes, venv support for Debian's python3, and nginx for the test that
# runs the server's production deployment (server/deploy/) for real.
SYSTEM_PACKAGES=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libxcb-cursor0 poppler-utils zbar-tools python3-venv nginx-light)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

setup_system() {
  local missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "正在安装系统软件包：${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup_python() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
}

# The sync tests also run against PostgreSQL at 127.0.0.1:5432 when one answers there (user postgres,
# trust authentication). Where the machine has a cluster installed but stopped, start it; where it has
# none, those tests are skipped and pytest says so.
start_postgres() {
  command -v pg_isready >/dev/null 2>&1 || return 0
  pg_isready -q -h 127.0.0.1 -p 5432 && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*/; do
      as_root pg_ctlcluster "$(basename "$version")" main start >/dev/null 2>&1 || true
    done
  fi
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  echo "PostgreSQL 未运行：同步测试只在 SQLite 上运行" >&2
}

case "${1:-}" in
  demo)
    setup_system
    setup_python
    shift
    exec .venv/bin/guopei-desk demo "$@"
    ;;
  test)
    setup_system
    setup_python
    start_postgres
    shift
    .venv/bin/ruff check .
    # One worker per core (pytest-xdist): in one process the suite uses one core. The tests of a module
    # stay in one worker (--dist loadscope), so that its server and counties are set up once. Quick loop
    # while developing: ./dev.sh test -m "not proof" (skips the SIGKILL and several-processes proofs).
    QT_QPA_PLATFORM=offscreen exec .venv/bin/python -m pytest -n auto --dist loadscope "$@"
    ;;
  *)
    echo "用法：./dev.sh demo | ./dev.sh test" >&2
    exit 2
    ;;
esac
