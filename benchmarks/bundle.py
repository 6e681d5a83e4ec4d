"""Size of the installed bundle and time to the main window from it, with the same from the venv as the
floor.

    installer/build-linux.sh                    # builds dist/guopei-desk and the .deb
    .venv/bin/python benchmarks/bundle.py [--runs 7] [--teachers 3000]

Time to window: from starting `guopei-desk --data-dir DIR` (the demo county) until the X server has a
mapped top-level window of that process (its _NET_WM_PID), on Xvfb with Qt's xcb plugin — what a
person sees on a Linux desktop. The first run after a build reads the files from disk; the others find
them in the page cache, as every start after the first does on a county PC. The process is then
stopped. The environment is clean (PATH=/usr/bin:/bin, a fresh HOME), as in installer/smoke-test.sh.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "dist" / "guopei-desk"
VENV_COMMAND = REPO / ".venv" / "bin" / "guopei-desk"
WINDOW_TIMEOUT_S = 30


# --- size -----------------------------------------------------------------------------------------


def disk_usage(path: Path) -> tuple[int, int, int]:
    """(bytes on disk, bytes of content, files) under path, symbolic links not followed."""
    on_disk = content = files = 0
    for item in [path, *path.rglob("*")]:
        info = item.lstat()
        on_disk += info.st_blocks * 512
        if item.is_file() and not item.is_symlink():
            content += info.st_size
            files += 1
    return on_disk, content, files


def largest_parts(bundle: Path, count: int = 8) -> list[tuple[int, str]]:
    sizes: dict[str, int] = {}
    for item in bundle.rglob("*"):
        if item.is_file() and not item.is_symlink():
            sizes[str(item.relative_to(bundle))] = item.stat().st_size
    return sorted(((size, name) for name, size in sizes.items()), reverse=True)[:count]


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB ({size / 1e6:.1f} MB)"


# --- time to window -------------------------------------------------------------------------------


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("border_width", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p),
        ("root", ctypes.c_ulong),
        ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


IS_VIEWABLE = 2
XA_CARDINAL = 6


class XServer:
    """A private Xvfb and just enough of Xlib to see whether a process has a window on it."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as answer:
            self.display = f":{answer.readline().strip()}"
        self.x = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11"))
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XInternAtom.restype = ctypes.c_ulong
        self.x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 4
        self.x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        self.x.XGetWindowProperty.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_long,
            ctypes.c_long,
            ctypes.c_int,
            ctypes.c_ulong,
            *[ctypes.c_void_p] * 5,
        ]
        self.x.XFree.argtypes = [ctypes.c_void_p]
        self.dpy = self.x.XOpenDisplay(self.display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {self.display}")
        self.root = self.x.XDefaultRootWindow(self.dpy)
        self.pid_atom = self.x.XInternAtom(self.dpy, b"_NET_WM_PID", 0)

    def has_window_of(self, pid: int) -> bool:
        root_ret, parent_ret = ctypes.c_ulong(), ctypes.c_ulong()
        children, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        self.x.XQueryTree(
            self.dpy,
            self.root,
            ctypes.byref(root_ret),
            ctypes.byref(parent_ret),
            ctypes.byref(children),
            ctypes.byref(count),
        )
        try:
            for i in range(count.value):
                window = children[i]
                attrs = XWindowAttributes()
                if not self.x.XGetWindowAttributes(self.dpy, window, ctypes.byref(attrs)):
                    continue
                if attrs.map_state == IS_VIEWABLE and self._pid(window) == pid:
                    return True
            return False
        finally:
            if children:
                self.x.XFree(children)

    def _pid(self, window: int) -> int | None:
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        items, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.POINTER(ctypes.c_ulong)()
        status = self.x.XGetWindowProperty(
            self.dpy,
            window,
            self.pid_atom,
            0,
            1,
            0,
            XA_CARDINAL,
            ctypes.byref(kind),
            ctypes.byref(fmt),
            ctypes.byref(items),
            ctypes.byref(after),
            ctypes.byref(data),
        )
        if status != 0 or not data:
            return None
        try:
            return int(data[0]) if items.value else None
        finally:
            self.x.XFree(data)

    def close(self) -> None:
        self.x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x.XCloseDisplay(self.dpy)
        self.process.terminate()
        self.process.wait()


def clean_env(home: Path, display: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}


def time_to_window(server: XServer, command: Path, data_dir: Path, home: Path) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(command), "--data-dir", str(data_dir)],
        env=clean_env(home, server.display),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not server.has_window_of(process.pid):
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode} before showing a window")
            if time.perf_counter() - start > WINDOW_TIMEOUT_S:
                raise RuntimeError(f"{command} showed no window within {WINDOW_TIMEOUT_S} s")
            time.sleep(0.005)
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait()


def time_command(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def summary(times: list[float]) -> str:
    first, warm = times[0], times[1:] or times
    return (
        f"first {first:.2f} s; then median {statistics.median(warm):.2f} s "
        f"(min {min(warm):.2f}, max {max(warm):.2f}, {len(warm)} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=BUNDLE)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--teachers", type=int, default=3000)
    args = parser.parse_args()
    command = args.bundle / "guopei-desk"
    if not command.exists():
        print(f"no bundle at {args.bundle}: run installer/build-linux.sh first", file=sys.stderr)
        return 2

    on_disk, content, files = disk_usage(args.bundle)
    print(
        f"bundle {args.bundle}: {mib(on_disk)} on disk, {mib(content)} of content, {files:,} files "
        "(goal: under 150 MB installed)"
    )
    for size, name in largest_parts(args.bundle):
        print(f"  {size / 1e6:6.1f} MB  {name}")
    for deb in sorted(args.bundle.parent.glob("guopei-desk_*.deb")):
        installed = subprocess.run(
            ["dpkg-deb", "--field", str(deb), "Installed-Size"], capture_output=True, text=True, check=False
        ).stdout.strip()
        print(f"{deb.name}: {mib(deb.stat().st_size)}; Installed-Size {installed} KiB")

    if shutil.which("Xvfb") is None:
        print("Xvfb is not installed (apt-get install xvfb): time to window not measured", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="guopei-bundle-bench-") as tmp:
        home, county = Path(tmp) / "home", Path(tmp) / "county"
        home.mkdir()
        plain_env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
        demo = ["demo", "--no-gui", "--teachers", str(args.teachers)]
        subprocess.run(
            [str(command), "--data-dir", str(county), *demo],
            env=plain_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        version_times = [time_command([str(command), "--version"], plain_env) for _ in range(args.runs)]
        print(f"`guopei-desk --version` from the bundle: {summary(version_times)}")
        server = XServer()
        try:
            bundle_times = [time_to_window(server, command, county, home) for _ in range(args.runs)]
            print(
                f"time to main window from the bundle ({args.teachers:,}-teacher demo county, Xvfb, xcb): "
                f"{summary(bundle_times)} (goal: under 1.5 s)"
            )
            if VENV_COMMAND.exists():
                venv_times = [time_to_window(server, VENV_COMMAND, county, home) for _ in range(args.runs)]
                print(f"the same from the venv (floor: no bundle): {summary(venv_times)}")
        finally:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
