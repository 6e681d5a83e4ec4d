"""What goes into the bundle besides Python code: which Qt plugins and translations, and which shared
libraries of the build machine. Used by installer/guopei-desk.spec and the Qt hooks in installer/hooks/
(PyInstaller runs both in its own process; nothing here is imported by the application)."""

from __future__ import annotations

import re
import sys
from pathlib import Path, PurePath

WINDOWS = sys.platform == "win32"

# Qt plugins by folder: only these are kept. platforms: the native one and offscreen (screenshots,
# headless checks); platforminputcontexts: ibus and compose, so Chinese input methods work on Linux
# (fcitx5 also answers on ibus's interface); styles: Windows' native look; xcbglintegrations: what
# the xcb plugin may load for OpenGL. Left out: imageformats (the app reads no images; PNG, which
# screenshots write, is built into Qt), platformthemes (the GTK theme pulls GTK and its stack in),
# wayland-* (UOS and Kylin run X11; on a Wayland session Qt uses xcb through XWayland), eglfs,
# generic input devices, svg icon engines.
QT_PLUGINS: dict[str, set[str] | None] = {
    "platforms": {"qwindows", "qoffscreen"} if WINDOWS else {"libqxcb", "libqoffscreen"},
    "platforminputcontexts": None,  # None: the whole folder
    "styles": None,
    "xcbglintegrations": None,
}

# Qt's own dialogs (OK/Cancel, the file dialog) in Chinese; desktop/ui/app.py loads this one.
QT_TRANSLATIONS = {"qtbase_zh_CN.qm"}

# Qt libraries only the plugins left out above would load.
QT_UNUSED_LIBRARIES = re.compile(
    r"Qt6(Wayland|WlShell|EglFS|Quick|Qml|Pdf|Svg|Network|OpenGL|VirtualKeyboard)", re.IGNORECASE
)

# Linux: libraries of the build machine's own system (/usr/lib, /lib) are left to the target system,
# which the .deb asks for in Depends (installer/build-linux.sh has dpkg-shlibdeps name the packages):
# the desktop stack (X11/xcb, xkbcommon, fontconfig, GLib, D-Bus, GL) must match the running X server,
# fonts and drivers, and OpenSSL, zlib and the like get their security updates from the system. Kept:
# libpython (Debian's python3 keeps it in /usr/lib), SQLite, whose FTS5 trigram tokenizer the roster
# search needs (3.34 or later), and libffi, whose soname differs between releases.
PYTHON_RUNTIME = re.compile(r"^lib(python3|sqlite3|ffi)\.")
SYSTEM_LIBRARY_DIRS = ("/usr/lib", "/lib", "/usr/lib64", "/lib64")


def keep_qt_file(source: str, dest_dir: str) -> bool:
    """Whether a Qt plugin or translation (source file, destination folder in the bundle) is kept.
    Files that are neither are kept."""
    parts = PurePath(dest_dir.replace("\\", "/")).parts
    name = PurePath(source.replace("\\", "/")).name
    if "translations" in parts:
        return name in QT_TRANSLATIONS
    if "plugins" in parts:
        below = parts[parts.index("plugins") + 1 :]
        if not below or below[0] not in QT_PLUGINS:
            return False
        wanted = QT_PLUGINS[below[0]]
        return wanted is None or name.split(".")[0] in wanted
    return not QT_UNUSED_LIBRARIES.search(name)


def keep_binary(dest: str, source: str, kind: str) -> bool:
    """Whether a binary PyInstaller found (destination in the bundle, source file, its TOC typecode) is
    kept. Python extension modules (EXTENSION) always are: a system Python (Debian's python3) has its
    standard library's ones, _sqlite3 and _ssl among them, under /usr/lib too."""
    dest_path = Path(dest)
    if not keep_qt_file(source, str(dest_path.parent)):
        return False
    if WINDOWS or kind == "EXTENSION" or not source.startswith(SYSTEM_LIBRARY_DIRS):
        return True
    return bool(PYTHON_RUNTIME.match(dest_path.name))
