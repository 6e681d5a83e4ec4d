#!/usr/bin/env bash
# Smoke test of what installer/build-linux.sh built: the bundle in dist/guopei-desk and the .deb.
#
# The bundled program runs in a clean environment — no .venv on the PATH, no Python packages visible,
# nothing but PATH=/usr/bin:/bin, a fresh HOME and Qt's offscreen platform — and must: print its
# version, build the demo county, render every page, print a demo project's certificates and verify
# the QR code read back from the printed PDF. Then the .deb is installed with apt-get and the installed
# command does the same basics, opens its window on a real X server (Xvfb, Qt's xcb plugin: this is
# what proves the package's Depends are complete), and removing the package leaves the user's data.
#
# Runs as root (or with sudo) on a Debian-like machine; installs what it uses with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "冒烟测试失败：$*" >&2; exit 1; }

BUNDLE=dist/guopei-desk/guopei-desk
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py)
DEB=dist/guopei-desk_${VERSION}_$(dpkg --print-architecture).deb
[ -x "$BUNDLE" ] || fail "没有 $BUNDLE，请先运行 installer/build-linux.sh"
[ -f "$DEB" ] || fail "没有 $DEB，请先运行 installer/build-linux.sh"

TOOLS=(poppler-utils zbar-tools sqlite3 xvfb xauth desktop-file-utils)
missing=()
for package in "${TOOLS[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/guopei-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"

# The program as a county PC runs it: none of this shell's environment.
clean() {
  env -i PATH=/usr/bin:/bin HOME="$WORK/home" QT_QPA_PLATFORM=offscreen "$@"
}

# The bundle must not carry the server, its dependencies, test tools or unused Qt modules.
step "包内容"
for unwanted in server fastapi starlette uvicorn psycopg pytest _pytest hypothesis \
  QtQml QtQuick QtWebEngine QtNetwork QtPdf libqgtk3 libqwayland; do
  found=$(find dist/guopei-desk -iname "${unwanted}*" | head -1)
  [ -z "$found" ] || fail "包中不应有 $found"
done
echo "不含服务器、测试工具、QtQml/QtWebEngine/QtNetwork"

run_basics() {  # $1: the command to test
  local command=$1 data="$WORK/county-$2" out
  step "$command --version"
  out=$(clean "$command" --version)
  echo "$out"
  [[ "$out" == "guopei-desk $VERSION（"* ]] || fail "--version 输出不对：$out"

  step "$command demo --no-gui（300 名教师）"
  clean "$command" --data-dir "$data" demo --no-gui --teachers 300 | tail -2
  [ -f "$data/guopei.sqlite3" ] || fail "演示县数据库没有建立"
}

run_basics "$BUNDLE" bundle
DATA="$WORK/county-bundle"

step "每个页面的截图"
clean "$BUNDLE" --data-dir "$DATA" screenshot --out "$WORK/shots" >/dev/null
shots=$(find "$WORK/shots" -name '*.png' -size +10k | wc -l)
[ "$shots" -ge 8 ] || fail "截图只有 $shots 张"
ls "$WORK/shots"

step "结业证书"
# The finished project with the most completed trainees in the demo county.
PROJECT=$(sqlite3 "$DATA/guopei.sqlite3" "SELECT p.code FROM enrollments e JOIN projects p ON p.id = e.project_id
  WHERE e.status = 'completed' AND e.deleted = 0 GROUP BY p.id ORDER BY count(*) DESC, p.code LIMIT 1")
[ -n "$PROJECT" ] || fail "演示县没有结业学员"
# The demo county has one account per role (password demo1234): issuing certificates needs one.
clean env GUOPEI_DESK_PASSWORD=demo1234 "$BUNDLE" --data-dir "$DATA" --user 演示培训管理员 \
  certificates --project "$PROJECT" --out "$WORK/certs"
PDF="$WORK/certs/$PROJECT-结业证书.pdf"
[ -s "$PDF" ] || fail "没有生成 $PDF"
pdftotext -f 1 -l 1 "$PDF" - | grep -q "结业证书" || fail "证书 PDF 中没有可提取的文字“结业证书”"

step "核验证书二维码（从打印出的 PDF 读出）"
pdftoppm -r 200 -f 1 -l 1 -png "$PDF" "$WORK/page"
QR=$(zbarimg --raw -q "$WORK"/page*.png 2>/dev/null | head -1)
[ -n "$QR" ] || fail "证书第一页上读不出二维码"
clean "$BUNDLE" --data-dir "$DATA" verify "$QR"
last=${QR: -1}
if clean "$BUNDLE" --data-dir "$DATA" verify "${QR%?}$([ "$last" = A ] && echo B || echo A)" >/dev/null; then
  fail "改动过的二维码竟然核验通过"
fi
echo "改动一个字符的二维码被拒绝"

step "安装 .deb：apt-get install ./$DEB"
if dpkg-query -W -f='${Status}' guopei-desk 2>/dev/null | grep -q "install ok installed"; then
  DEBIAN_FRONTEND=noninteractive as_root apt-get purge -y -qq guopei-desk >/dev/null
fi
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "./$DEB" >/dev/null
[ "$(readlink -f /usr/bin/guopei-desk)" = /opt/guopei-desk/guopei-desk ] || fail "/usr/bin/guopei-desk 不是指向 /opt/guopei-desk 的链接"
desktop-file-validate /usr/share/applications/guopei-desk.desktop
[ -f /usr/share/icons/hicolor/256x256/apps/guopei-desk.png ] || fail "没有安装图标"
echo "已安装：$(dpkg-query -W -f='${Package} ${Version} ${Installed-Size} KiB' guopei-desk)"

step "已安装的 guopei-desk --version 与 demo --no-gui（默认的演示县文件夹）"
out=$(clean /usr/bin/guopei-desk --version)
echo "$out"
[[ "$out" == "guopei-desk $VERSION（"* ]] || fail "--version 输出不对：$out"
clean /usr/bin/guopei-desk demo --no-gui --teachers 300 | tail -2
DEMO_DIR="$WORK/home/.local/share/GuopeiDesk-demo"
[ -f "$DEMO_DIR/guopei.sqlite3" ] || fail "默认演示县文件夹中没有数据库：$DEMO_DIR"

step "在 X 服务器（Xvfb，Qt 的 xcb 插件）上打开窗口并截图"
# xvfb-run gives DISPLAY and XAUTHORITY; everything else stays clean.
xvfb-run -a -s "-screen 0 1366x768x24" sh -c \
  'exec env -i PATH=/usr/bin:/bin HOME="$0" DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY" QT_QPA_PLATFORM=xcb \
     /usr/bin/guopei-desk --data-dir "$1" screenshot --out "$2"' \
  "$WORK/home" "$DEMO_DIR" "$WORK/shots-xcb" >/dev/null
shots=$(find "$WORK/shots-xcb" -name '*.png' -size +10k | wc -l)
[ "$shots" -ge 8 ] || fail "xcb 下截图只有 $shots 张"
echo "xcb：$shots 张截图"

step "卸载（apt-get purge）保留用户数据"
DEBIAN_FRONTEND=noninteractive as_root apt-get purge -y -qq guopei-desk >/dev/null
[ ! -e /opt/guopei-desk ] && [ ! -e /usr/bin/guopei-desk ] || fail "卸载后程序文件仍在"
[ -f "$DEMO_DIR/guopei.sqlite3" ] || fail "卸载删除了用户数据"
echo "程序已删除，$DEMO_DIR 中的数据仍在"

printf '\n冒烟测试通过\n'
