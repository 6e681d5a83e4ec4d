"""How many candidates the eligibility engine refuses ONLY because of “同类培训” (no repeated training),
on the demo county: for every project still selecting (published or open), the candidates the 精准遴选
tab lists and, among them, those whose only unmet reason is the repeat rule. Prints figures; asserts
nothing.

    python benchmarks/same_training.py [--data-dir DIR] [--teachers 3000] [--seed 20201]

Without --data-dir a fresh demo county is built in a temporary folder (same seed: same county).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import Project
from desktop.services.demo_county import build_demo_county
from desktop.services.selection import candidates

# The rule's key before issue 17 ("same_type") and after it ("same_training").
REPEAT_RULES = {"same_type", "same_training"}
SELECTING = ("published", "open")


def measure(data_dir: Path) -> None:
    db = open_database(data_dir)
    total = only_repeat = 0
    with db.read() as session:
        projects = session.scalars(
            select(Project)
            .where(Project.status.in_(SELECTING), Project.deleted.is_(False))
            .order_by(Project.code)
        ).all()
        for project in projects:
            found = candidates(session, project.id, limit=1_000_000)
            refused = sum(
                1
                for c in found
                if c.decision.refusals and {r.rule for r in c.decision.refusals} <= REPEAT_RULES
            )
            total += len(found)
            only_repeat += refused
            share = refused / len(found) if found else 0.0
            print(
                f"{project.code:<16} {project.name[:34]:<34} 候选 {len(found):>5}  "
                f"仅因同类被拒 {refused:>5}  {share:6.1%}"
            )
    db.dispose()
    share = only_repeat / total if total else 0.0
    print(f"合计：候选 {total} 人次，仅因“同类培训”被拒 {only_repeat} 人次，占 {share:.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--teachers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20201)
    args = parser.parse_args()
    if args.data_dir is not None and (args.data_dir / DB_FILENAME).exists():
        measure(args.data_dir)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        build_demo_county(Path(folder), teachers=args.teachers, seed=args.seed)
        measure(Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
