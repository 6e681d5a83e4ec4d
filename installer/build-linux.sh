#!/usr/bin/env bash
# Build Guopei Desk for Linux (Debian, 统信 UOS, 银河麒麟 Kylin): the PyInstaller bundle and a .deb.
#
#   installer/build-linux.sh          → dist/guopei-desk/  and  dist/guopei-desk_<版本>_<架构>.deb
#
# Runs on a fresh Debian-like machine as root (or with sudo): it installs what the build needs with
# apt-get, builds in a venv of its own (build/installer-venv: the app and its runtime dependencies
# only, so that nothing from the test or server extras can reach the bundle), and compiles the
# Windows installer script against a stand-in payload to catch NSIS errors (the Windows build itself
# needs Windows: installer/build-windows.ps1).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
step() { printf '\n== %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# What the bundle needs from the system at run time (Qt's xcb platform plugin and the desktop stack;
# dpkg-shlibdeps finds them through these when it writes Depends), and what the build uses.
RUNTIME_PACKAGES=(libegl1 libgl1 libopengl0 libglx0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3
  libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libxcb-randr0 libxcb-shape0
  libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxcb-render0 libxcb-util1 libxcb-glx0 libssl3 xdg-utils)
BUILD_PACKAGES=(binutils dpkg-dev desktop-file-utils nsis python3-venv git)
# Qt links these itself; the others in Depends come from dpkg-shlibdeps. xdg-utils: the program opens
# the PDFs it prints with xdg-open.
EXTRA_DEPENDS="xdg-utils"

# The interpreter behind .venv (what ./dev.sh set up), or the system's python3.
base_python() {
  if [ -x .venv/bin/python ]; then
    .venv/bin/python -c 'import sys; print(sys._base_executable)'
  else
    command -v python3
  fi
}

setup_system() {
  local packages=("${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}") missing=()
  local python
  python="$(base_python)"
  # PyInstaller needs the shared libpython; Debian's python3 keeps it in a package of its own.
  if [ "$("$python" -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
    packages+=("libpython$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')")
  fi
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "正在安装构建所需的系统软件包：${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup_build_venv() {
  local venv=build/installer-venv
  if [ ! -x "$venv/bin/python" ]; then
    "$(base_python)" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  # A regular (not editable) install of this checkout: exactly what a wheel of it holds. setuptools
  # never empties its build/lib, so a file deleted from the checkout would still be installed from there.
  rm -rf build/lib build/bdist.*
  "$venv/bin/python" -m pip install -q --upgrade pyinstaller ".[desktop]" >/dev/null
}

build_bundle() {
  rm -rf dist/guopei-desk build/pyinstaller
  build/installer-venv/bin/pyinstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller installer/guopei-desk.spec 2>&1 |
    grep -v -e "Ignoring icon" -e "WARNING: Hidden import" -e "required via ctypes not found" || true
  [ -x dist/guopei-desk/guopei-desk ] || { echo "PyInstaller 没有生成 dist/guopei-desk/guopei-desk" >&2; exit 1; }
}

# Depends: the packages that hold the libraries the bundle's binaries link against and do not carry
# themselves, with the minimum versions their symbols need (libc6 gives the oldest glibc it runs on).
shlib_depends() {
  local root=$1 work=build/deb-shlibdeps
  rm -rf "$work" && mkdir -p "$work/debian"
  printf 'Source: guopei-desk\n\nPackage: guopei-desk\nArchitecture: any\n' >"$work/debian/control"
  local -a elves=() libdirs=()
  while IFS= read -r -d '' file; do
    [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] && elves+=("$(realpath "$file")")
  done < <(find "$root" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0)
  while IFS= read -r dir; do libdirs+=("-l$(realpath "$dir")"); done \
    < <(find "$root" -type f \( -name '*.so' -o -name '*.so.*' \) -printf '%h\n' | sort -u)
  # Libraries the bundle carries itself (SQLite, libffi, libpython: bundle_rules.py) have no package
  # information there, and dpkg-shlibdeps would fall back to the system's copy: leave those packages out.
  local -a carried=()
  local lib package
  for lib in "$root"/_internal/lib*.so*; do
    [ -L "$lib" ] && continue
    package=$(dpkg -S "*/$(basename "$lib")" 2>/dev/null | head -1 | cut -d: -f1)
    [ -z "$package" ] || carried+=("-x$package")
  done
  # --ignore-missing-info: libraries inside the bundle have no package.
  if ! (cd "$work" && dpkg-shlibdeps -O --ignore-missing-info "${carried[@]}" "${libdirs[@]}" "${elves[@]}") \
    >"$work/substvars" 2>"$work/errors"; then
    cat "$work/errors" >&2
    return 1
  fi
  sed -n 's/^shlibs:Depends=//p' "$work/substvars"
}

build_deb() {
  local version arch stage package depends
  version="$(build/installer-venv/bin/python -c 'import desktop; print(desktop.__version__)')"
  arch="$(dpkg --print-architecture)"
  package="guopei-desk_${version}_${arch}"
  stage="build/deb/$package"
  rm -rf build/deb && mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" \
    "$stage/usr/share/applications" "$stage/usr/share/doc/guopei-desk"
  cp -a dist/guopei-desk "$stage/opt/guopei-desk"
  ln -s /opt/guopei-desk/guopei-desk "$stage/usr/bin/guopei-desk"
  install -m 644 installer/linux/guopei-desk.desktop "$stage/usr/share/applications/"
  desktop-file-validate "$stage/usr/share/applications/guopei-desk.desktop"
  for size in 48 256; do
    install -D -m 644 "resources/icons/guopei-desk-$size.png" \
      "$stage/usr/share/icons/hicolor/${size}x${size}/apps/guopei-desk.png"
  done
  install -m 644 installer/linux/copyright "$stage/usr/share/doc/guopei-desk/copyright"

  depends="$(shlib_depends "$stage/opt/guopei-desk")"
  [ -n "$depends" ] || { echo "dpkg-shlibdeps 没有给出依赖" >&2; exit 1; }
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" \
    -e "s/@INSTALLED_SIZE@/$(du -sk "$stage" | cut -f1)/" \
    -e "s/@DEPENDS@/$depends, $EXTRA_DEPENDS/" installer/linux/control >"$stage/DEBIAN/control"
  # User data (~/.local/share/GuopeiDesk, the demo county, backups) is never the package's: removing or
  # purging it leaves the data alone, so there are no maintainer scripts. The menu and icon caches are
  # refreshed by the triggers of desktop-file-utils and hicolor-icon-theme.
  find "$stage" -type d -exec chmod 755 {} +
  dpkg-deb --build --root-owner-group -Zxz "$stage" "dist/$package.deb" >/dev/null
  echo "dist/$package.deb"
  dpkg-deb --field "dist/$package.deb" Depends
}

# The Windows installer script, compiled here against a stand-in payload: catches NSIS errors without
# Windows. The result is not an installer of the program.
check_nsis() {
  local payload=build/nsis-standin
  rm -rf "$payload" && mkdir -p "$payload/_internal"
  printf 'stand-in\n' >"$payload/guopei-desk.exe"
  printf 'stand-in\n' >"$payload/GuopeiDesk.exe"
  printf 'stand-in\n' >"$payload/_internal/README.txt"
  makensis -V2 -WX -DVERSION=0.1.0.0 -DPAYLOAD="$(realpath "$payload")" \
    -DOUTFILE="$(realpath build)/guopei-desk-setup-standin.exe" installer/guopei-desk.nsi
  echo "NSIS 脚本编译通过（替身载荷）：build/guopei-desk-setup-standin.exe"
}

started=$(date +%s)
step "系统软件包"; setup_system
step "构建用 Python 环境（build/installer-venv）"; t=$(date +%s); setup_build_venv; echo "用时 $(elapsed "$t")"
step "PyInstaller 打包（dist/guopei-desk）"; t=$(date +%s); build_bundle; echo "用时 $(elapsed "$t")"
du -sh dist/guopei-desk
step ".deb 软件包"; t=$(date +%s); build_deb; echo "用时 $(elapsed "$t")"
step "Windows 安装程序脚本（NSIS）"; check_nsis
echo; echo "全部完成，共用时 $(elapsed "$started")"
