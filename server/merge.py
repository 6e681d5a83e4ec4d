"""The server's merge rules are guopei_common.merge, the one copy that the county app's exchange-file
import applies too; named here for the server's modules and tests."""

from guopei_common.merge import FIELD_MERGED, Loss, Merged, Version, merge

__all__ = ["FIELD_MERGED", "Loss", "Merged", "Version", "merge"]
