"""A check-in process for the crash test: scans every expected trainee of one session, printing
SAVED <enrollment id> only after each commit returned. Run as `python -m tests.services.checkin_worker`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from desktop.db.engine import open_database
from desktop.domain.badge import badge_text
from desktop.services import checkin


def main(data_dir: str, session_id: str) -> None:
    db = open_database(Path(data_dir))
    with db.read() as session:
        info = checkin.session_info(session, session_id)
        lines = checkin.roll(session, session_id).lines
    now = dt.datetime.combine(info.date, info.start)
    # Start-up (imports, opening the database) takes from half a second to several on a loaded
    # machine: the test starts its random delay only from here, so its kills land among the scans.
    print("ready", flush=True)
    for line in lines:
        with db.write() as session:
            result = checkin.scan(
                session, session_id, badge_text(line.enrollment_id, info.project_id), now=now
            )
        # The with-block has committed: only now may the check-in be reported as saved.
        print(f"{result.outcome} {line.enrollment_id}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
