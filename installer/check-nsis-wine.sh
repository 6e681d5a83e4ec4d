#!/usr/bin/env bash
# Run the Windows installer script's logic without Windows: guopei-desk.nsi is compiled against a
# stand-in payload as a 64-bit installer and run silently in Wine (wine64), then checked: per-user
# install folder, Start-menu and desktop shortcuts, the uninstall entry in HKCU, an upgrade over the
# installed version that drops files the old version had, and an uninstall that removes the program
# but leaves the county's data folder (%LOCALAPPDATA%\GuopeiDesk) alone.
#
# Not part of CI (Wine is a 100 MB install); the real installer is built and tested on a Windows runner
# (.github/workflows/windows.yml). Needs: apt-get install --no-install-recommends wine64 nsis
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "NSIS/Wine 检查失败：$*" >&2; exit 1; }
WINE=/usr/lib/wine/wine64
[ -x "$WINE" ] || fail "没有 $WINE（apt-get install --no-install-recommends wine64）"

WORK=$(mktemp -d /tmp/guopei-nsis-wine.XXXXXX)
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all PATH="/usr/lib/wine:$PATH"

standin() {  # $1: folder, then files to create in it
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir"
  for file in "$@"; do mkdir -p "$(dirname "$dir/$file")"; echo stand-in >"$dir/$file"; done
}
build() {  # $1: payload, $2: version, $3: installer
  makensis -V2 -WX '-XTarget amd64-unicode' -DVERSION="$2" -DPAYLOAD="$1" -DOUTFILE="$3" installer/guopei-desk.nsi
}
standin "$WORK/v1" guopei-desk.exe GuopeiDesk.exe _internal/base_library.zip _internal/old-only.dll
standin "$WORK/v2" guopei-desk.exe GuopeiDesk.exe _internal/base_library.zip
build "$WORK/v1" 0.1.0.0 "$WORK/setup-1.exe"
build "$WORK/v2" 0.2.0.0 "$WORK/setup-2.exe"

"$WINE" wineboot -i >/dev/null 2>&1
HOME_DIR="$WINEPREFIX/drive_c/users/$(whoami)"
# Wine links Desktop and Documents to the Linux home; give the test its own folders instead.
for folder in Desktop Documents Downloads Music Pictures Videos; do
  rm -f "$HOME_DIR/$folder" && mkdir -p "$HOME_DIR/$folder"
done
PROGRAM="$HOME_DIR/AppData/Local/Programs/GuopeiDesk"
DATA="$HOME_DIR/AppData/Local/GuopeiDesk"
MENU="$HOME_DIR/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/国培桌面端"
KEY='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuopeiDesk'

"$WINE" "$WORK/setup-1.exe" /S
for file in GuopeiDesk.exe guopei-desk.exe uninstall.exe _internal/old-only.dll; do
  [ -e "$PROGRAM/$file" ] || fail "安装后缺少 $file"
done
[ -f "$MENU/国培桌面端.lnk" ] && [ -f "$MENU/卸载 国培桌面端.lnk" ] || fail "开始菜单中没有快捷方式"
[ -f "$HOME_DIR/Desktop/国培桌面端.lnk" ] || fail "桌面上没有快捷方式"
"$WINE" reg query "$KEY" /v DisplayVersion | grep -q 0.1.0.0 || fail "卸载项中没有版本 0.1.0.0"
echo "安装：程序在 %LOCALAPPDATA%\\Programs\\GuopeiDesk，开始菜单和桌面快捷方式、HKCU 卸载项都在"

mkdir -p "$DATA/backups" && echo county >"$DATA/guopei.sqlite3" && echo backup >"$DATA/backups/a.gpbak"
"$WINE" "$WORK/setup-2.exe" /S
[ ! -e "$PROGRAM/_internal/old-only.dll" ] || fail "升级后旧版本的文件仍在 _internal 中"
"$WINE" reg query "$KEY" /v DisplayVersion | grep -q 0.2.0.0 || fail "升级后卸载项的版本不是 0.2.0.0"
[ -f "$DATA/guopei.sqlite3" ] || fail "升级删除了本县数据"
echo "升级：旧版本的文件已替换，本县数据仍在"

"$WINE" "$PROGRAM/uninstall.exe" /S "_?=C:\\users\\$(whoami)\\AppData\\Local\\Programs\\GuopeiDesk"
[ ! -e "$PROGRAM/_internal" ] && [ ! -e "$PROGRAM/GuopeiDesk.exe" ] || fail "卸载后程序文件仍在"
[ ! -e "$MENU" ] && [ ! -e "$HOME_DIR/Desktop/国培桌面端.lnk" ] || fail "卸载后快捷方式仍在"
if "$WINE" reg query "$KEY" >/dev/null 2>&1; then fail "卸载后卸载项仍在"; fi
[ -f "$DATA/guopei.sqlite3" ] && [ -f "$DATA/backups/a.gpbak" ] || fail "卸载删除了本县数据或备份"
echo "卸载：程序、快捷方式、卸载项已删除，本县数据和备份仍在"
echo "NSIS 安装程序在 Wine 中检查通过"
