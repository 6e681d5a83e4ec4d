"""A distinct sound per check-in outcome, so the class teacher hears a problem without looking.

On Windows (the county PCs) the speaker plays tones through `winsound`; elsewhere Qt's system beep
stands in for the warning and error sounds. Tones play on a short-lived thread: the queue at the door
never waits for a sound to finish.
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtWidgets import QApplication

# (frequency Hz, milliseconds) per kind of outcome.
TONES = {
    "good": [(1320, 120)],
    "warn": [(880, 120), (880, 120)],
    "bad": [(330, 450)],
}


def play(kind: str) -> None:
    if sys.platform == "win32":
        import winsound

        def run() -> None:
            for frequency, duration in TONES[kind]:
                winsound.Beep(frequency, duration)

        threading.Thread(target=run, daemon=True).start()
    elif kind != "good":
        QApplication.beep()
