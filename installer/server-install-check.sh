#!/usr/bin/env bash
# The provincial server installed the way a province installs it — `pip install '.[server]'` into a fresh
# venv — has no Qt, and the sync tests pass against it: the tests' server is started from that
# installation (GUOPEI_SERVER_PYTHON, tests/sync/conftest.py), the county side from the dev venv.
# A wheel install of the desktop app (`.[desktop]`) then builds the demo county and renders every page.
set -euo pipefail
cd "$(dirname "$0")/.."
work=build/install-check
# setuptools never empties build/lib: a file deleted from the checkout would still be installed from it.
rm -rf "$work" build/lib build/bdist.* && mkdir -p "$work"

python3 -m venv "$work/server-venv"
"$work/server-venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$work/server-venv/bin/python" -m pip install -q ".[server]" >/dev/null
if "$work/server-venv/bin/python" -c "import PySide6" 2>/dev/null; then
  echo "服务器安装带上了 PySide6（.[server] 不应依赖 Qt）" >&2
  exit 1
fi
echo "服务器安装（.[server]）：无 PySide6"
GUOPEI_SERVER_PYTHON="$PWD/$work/server-venv/bin/python" QT_QPA_PLATFORM=offscreen \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_layers.py tests/sync/test_attacks.py \
  tests/sync/test_openapi.py -k "not postgresql"

python3 -m venv "$work/desktop-venv"
"$work/desktop-venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$work/desktop-venv/bin/python" -m pip install -q ".[desktop]" >/dev/null
(
  cd "$work"  # away from the checkout, so that the installed copy is what runs
  QT_QPA_PLATFORM=offscreen desktop-venv/bin/guopei-desk --data-dir demo demo --no-gui >/dev/null
  QT_QPA_PLATFORM=offscreen desktop-venv/bin/guopei-desk --data-dir demo screenshot --out shots >/dev/null
  pages=$(find shots -name '*.png' | wc -l)
  if [ "$pages" -lt 9 ]; then
    echo "桌面端安装（.[desktop]）只渲染了 $pages 个页面" >&2
    exit 1
  fi
  echo "桌面端安装（.[desktop]）：演示县已建立，$pages 个页面已渲染"
)
