"""A project's target conditions (who it is for), shared by the county's eligibility rules and the
province's published projects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conditions:
    """A project's target conditions (project.conditions in the database)."""

    stages: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    min_years: int | None = None
    max_years: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    rural_only: bool = False
    poverty_area_only: bool = False
    reserve_pool_only: bool = False

    @classmethod
    def from_dict(cls, values: dict) -> Conditions:
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        for name in ("stages", "subjects", "roles"):
            if name in known:
                known[name] = tuple(known[name] or ())
        return cls(**known)

    def to_dict(self) -> dict:
        return {
            "stages": list(self.stages),
            "subjects": list(self.subjects),
            "roles": list(self.roles),
            "min_years": self.min_years,
            "max_years": self.max_years,
            "min_age": self.min_age,
            "max_age": self.max_age,
            "rural_only": self.rural_only,
            "poverty_area_only": self.poverty_area_only,
            "reserve_pool_only": self.reserve_pool_only,
        }
