"""Every setting of Guopei Desk, declared once (picard `picard/options.py`): its key, the type of its
value, its default, where it is kept and who may change it.

Two places keep settings. The county's database (the local `settings` table, never synced) holds what
belongs to the county installation: policy switches the province sends, choices an administrator makes,
and state the program keeps for itself (sync cursors, keys). QSettings holds what belongs to the person
at this PC: window and table state. Code names an `Option` from here, never a key string of its own;
`desktop.db.setting_values` reads and writes the database ones with their type and default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from desktop.domain.roles import DEFAULT_IDLE_MINUTES, Permission

T = TypeVar("T")


class Kept(StrEnum):
    COUNTY = "county"  # the county database's settings table (travels with backups, never synced)
    PC_USER = "pc_user"  # QSettings: this PC user's own window and table state


class ChangedBy(StrEnum):
    PROVINCE = "province"  # arrives with sync (policy switches, rules, key lists); read-only here
    ADMINISTRATOR = "administrator"  # a person holding `permission` changes it in the app or the CLI
    PROGRAM = "program"  # state the program keeps for itself; nobody edits it
    PERSON = "person"  # whoever sits at the PC, by using the window (size, page, columns)


@dataclass(frozen=True)
class Option(Generic[T]):
    key: str
    kind: type  # the type of the stored value (JSON for the county ones)
    default: T
    kept: Kept
    changed_by: ChangedBy
    doc: str
    permission: Permission | None = None  # what an administrator needs to change it

    def accepts(self, value: object) -> bool:
        # bool is an int in Python: an int option must not take True, nor a float one either.
        if isinstance(value, bool) and self.kind is not bool:
            return False
        return isinstance(value, self.kind) or (self.kind is float and isinstance(value, int))


REGISTRY: dict[str, Option[Any]] = {}


def _option(
    key: str,
    kind: type,
    default: T,
    changed_by: ChangedBy,
    doc: str,
    *,
    kept: Kept = Kept.COUNTY,
    permission: Permission | None = None,
) -> Option[T]:
    if key in REGISTRY:
        raise ValueError(f"setting {key} declared twice")
    option = Option(key, kind, default, kept, changed_by, doc, permission)
    REGISTRY[key] = option
    return option


P, A, M = ChangedBy.PROVINCE, ChangedBy.ADMINISTRATOR, ChangedBy.PROGRAM

# --- policy: what the province sends, and the county's own rules until it does ----------------------
OFFLINE_TRAINING_SUSPENDED = _option(
    "policy.offline_training_suspended", bool, False, P, "face-to-face sessions forbidden (epidemic control)"
)
SELECTION_POLICY = _option(
    "policy.selection", dict, {}, P, "{'guopei_limit': 1, 'cycle_years': 3}: repeated-training limits"
)
TRAINING_CYCLE = _option(
    "policy.training_cycle", dict, {}, P, "the training cycle (years, hours, categories)"
)
CREDIT_POLICY = _option(
    "policy.credits",
    dict,
    {},
    A,
    "the county's own credit rule, until the province sends versions",
    permission=Permission.POLICY,
)
CREDIT_RULE_VERSIONS = _option(
    "policy.credit_rule_versions", list, [], P, "the province's credit rule versions, as last received"
)

# --- choices an administrator makes ------------------------------------------------------------------
ATTENDANCE_GRACE_MINUTES = _option(
    "attendance.grace_minutes",
    int,
    10,
    A,
    "minutes after the start a check-in is not yet late",
    permission=Permission.POLICY,
)
IDLE_LOCK_MINUTES = _option(
    "ui.idle_lock_minutes",
    int,
    DEFAULT_IDLE_MINUTES,
    A,
    "minutes without input before the window locks",
    permission=Permission.ACCOUNTS,
)
BACKUP_SECOND_FOLDER = _option(
    "backup.second_folder",
    str,
    "",
    A,
    "a USB stick or share that receives a copy of every backup",
    permission=Permission.BACKUP,
)
CENTRE_NAME = _option(
    "county.centre_name", str, "", A, "the centre's name, printed on documents", permission=Permission.POLICY
)

# --- kept by the program ----------------------------------------------------------------------------
INTEGRITY_CHECKED_AT = _option("db.integrity_checked_at", dict, {}, M, "the last weekly full integrity check")
IMPORT_REMEMBERED_HEADERS = _option(
    "import.teachers.remembered_headers", dict, {}, M, "header text -> field, learnt from the user's mappings"
)
SIGNING_KEY = _option("device.signing_key", str, "", M, "this device's Ed25519 certificate key (hex)")
DEVICE_NUMBER = _option("device.number", int, 0, M, "the number the province gave this device (0: none yet)")
CERTIFICATE_PUBLIC_KEYS = _option(
    "keys.certificate_public_keys", dict, {}, M, "key id -> public key (hex), from the province"
)
KEY_COUNTIES = _option("keys.counties", dict, {}, M, "key id -> county code, from the province's key list")
SYNC_CURSOR = _option("sync.cursor", int, 0, M, "where the next pull of the county's feed starts")
SYNC_REJECTED = _option("sync.rejected", list, [], M, "changes the province refused, newest last")
SYNC_CONFLICTS = _option("sync.conflicts", list, [], M, "changes where the province had a newer version")
SYNC_HORIZON = _option("sync.horizon", int, 0, M, "the purge horizon this PC has accounted for")
SYNC_SNAPSHOT = _option("sync.snapshot", bool, False, M, "set while a snapshot re-read is under way")
FIRST_PULL_PENDING = _option("init.pending", dict, {}, M, "set while this PC's first pull is unfinished")
SYNC_SET_ASIDE = _option("sync.set_aside", list, [], M, "pulled rows this PC could not apply, newest last")
SYNC_TRANSFERS = _option("sync.transfers", list, [], M, "teacher transfers to and from the county")
SYNC_REPAIRS = _option("sync.repairs", list, [], M, "divergence repairs, newest last")
SYNC_CLOCK_SKEW_MS = _option("sync.clock_skew_ms", int, 0, M, "this PC's clock minus the server's")
SYNC_PROVINCE_CONFLICTS = _option(
    "sync.province_conflicts", list, [], M, "the province's conflict log for this county, newest last"
)
SYNC_PROVINCE_CONFLICTS_AFTER = _option(
    "sync.province_conflicts_after", int, 0, M, "where the next conflict-log fetch starts"
)
SYNC_DIGEST_CHECKED_AT = _option("sync.digest_checked_at", str, "", M, "the last divergence check")
SYNC_BATCH_SIZE = _option("sync.batch_size", int, 0, M, "the push batch size the link last allowed")
APP_RELEASE = _option("sync.app_release", dict, {}, M, "the newest desktop release the province published")
EXCHANGE_TRUSTED_DEVICES = _option(
    "exchange.trusted_devices", dict, {}, M, "device id -> key of exchange files trusted here"
)
EXCHANGE_IMPORTED = _option("exchange.imported", list, [], M, "exchange file ids imported here, newest last")
EXCHANGE_EXPORTED_HLC = _option("exchange.exported_hlc", str, "", M, "highest stamp in this PC's last export")
EXCHANGE_CONFLICTS = _option(
    "exchange.conflicts", list, [], M, "values that lost a merge in an exchange import, newest last"
)

# --- this PC user's window and table state (QSettings) -----------------------------------------------
WINDOW_GEOMETRY = _option(
    "window/geometry", bytes, b"", ChangedBy.PERSON, "the main window's geometry", kept=Kept.PC_USER
)
WINDOW_PAGE = _option("window/page", str, "", ChangedBy.PERSON, "the page shown last", kept=Kept.PC_USER)
TABLE_HEADER = _option(
    "tables/{name}/header",
    bytes,
    b"",
    ChangedBy.PERSON,
    "a table's column widths and order",
    kept=Kept.PC_USER,
)

del P, A, M
