"""Importing teachers from the schools' spreadsheets: preview row by row, then apply all or nothing.

The preview says, for every row, whether it will create a teacher, update one (matched by ID number)
or be refused, and for every refusal which cell and why. Applying writes every accepted row in the
caller's one transaction; refused rows can be saved to an .xlsx to fix and import again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import School, Setting, Teacher
from desktop.db.outbox import insert_synced_rows, update_synced_rows
from desktop.domain.audit import AuditAction
from desktop.domain.codes import code_table
from desktop.domain.roles import Permission
from desktop.domain.teacher_rules import TeacherForm, TeacherInvalid, ValidTeacher, validate_teacher
from desktop.errors import Cancelled
from desktop.io.spreadsheet import Cell, HeaderMatch, Record, Sheet, SpreadsheetError, find_header, read_sheet
from desktop.io.spreadsheet import records as sheet_records
from desktop.io.xlsx_writer import write_xlsx
from desktop.services import access, audit, reserve_pool
from guopei_common.idnumber import InvalidIdNumber, mask_id_number, normalize_id_number, upgrade_15_to_18
from guopei_common.vocab import BackboneLevel, TeacherRole

# Field -> the column headings schools use for it (the first is the one we write).
TEACHER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "教师姓名", "学员姓名"),
    "id_number": ("身份证号", "公民身份号码", "证件号码", "身份证号码", "身份证"),
    "gender": ("性别",),
    "school": ("学校/单位", "学校", "单位", "学校名称", "工作单位", "任职学校", "所在学校", "单位名称"),
    "stage": ("学段", "任教学段"),
    "subject": ("学科", "任教学科"),
    "title": ("职称", "专业技术职务", "职称（职务）"),
    "phone": ("手机", "联系电话", "手机号", "手机号码", "电话"),
    "ethnicity": ("民族",),
    "role": ("身份", "岗位", "人员类别"),
    "backbone_level": ("骨干级别", "骨干教师级别"),
    "work_start_year": ("参加工作年份", "参加工作时间", "工作年份"),
    "emergency_contact": ("紧急联系人",),
    "emergency_phone": ("紧急联系人电话", "紧急联系电话"),
}
CAPTIONS = {key: names[0] for key, names in TEACHER_COLUMNS.items()}
REQUIRED = ("name", "id_number", "school")
MAPPING_SETTING = settings.IMPORT_REMEMBERED_HEADERS.key  # header text -> field, learnt from the user

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    cell: Cell | None  # None when the problem is the row as a whole
    message: str

    def describe(self) -> str:
        return f"{self.cell.address}：{self.message}" if self.cell else self.message


@dataclass
class RowOutcome:
    row: int
    action: str  # "create", "update", "unchanged", "refuse"
    name: str
    masked_id_number: str
    school_name: str
    problems: list[Problem] = field(default_factory=list)
    valid: ValidTeacher | None = None
    teacher_id: str | None = None  # the existing teacher an update applies to
    changes: dict[str, object] = field(default_factory=dict)  # field -> new value, for an update
    # The ID number as typed, normalised (15 digits upgraded): rows of one person are found by it even
    # when one of them is refused for another reason.
    identity: str = ""

    @property
    def reason(self) -> str:
        ordered = sorted(self.problems, key=lambda p: p.cell.column if p.cell else 1_000)
        return "；".join(problem.describe() for problem in ordered)


@dataclass
class ImportPreview:
    path: Path
    sheet_name: str
    header: HeaderMatch
    columns: dict[str, int]
    outcomes: list[RowOutcome]
    new_schools: list[str]
    create_schools: bool

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def refused(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.action == "refuse"]

    def summary(self) -> str:
        text = (
            f"新增 {self.count('create')} 人，更新 {self.count('update')} 人，"
            f"无变化 {self.count('unchanged')} 人，拒绝 {self.count('refuse')} 行"
        )
        if self.new_schools:
            text += f"；将新建学校 {len(self.new_schools)} 所"
        return text


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    schools_created: int
    added_to_pool: int


def remembered_headers(session: Session) -> dict[str, str]:
    setting = session.get(Setting, MAPPING_SETTING)
    return dict(setting.value) if setting else {}


def remember_mapping(session: Session, header: HeaderMatch, columns: dict[str, int]) -> None:
    """Keep the user's column choices by header text, so the next file from that school maps itself."""
    learnt = remembered_headers(session)
    for key, column in columns.items():
        text = header.headers.get(column)
        if text:
            learnt[text] = key
    setting = session.get(Setting, MAPPING_SETTING)
    if setting is None:
        session.add(Setting(key=MAPPING_SETTING, value=learnt))
    else:
        setting.value = learnt


def first_row_headers(path: Path) -> dict[int, str]:
    """The first row's texts by column, for mapping columns by hand when no header is recognised."""
    return {cell.column: cell.value for cell in read_sheet(path).rows[0] if cell.value}


def read_header(sheet: Sheet, learnt: dict[str, str], *, explicit: bool = False) -> HeaderMatch:
    """The header row and the columns recognised in it. When the user maps columns by hand
    (`explicit`), a header nobody recognises is taken to be the first row."""
    synonyms = {
        key: (*names, *(text for text, k in learnt.items() if k == key))
        for key, names in TEACHER_COLUMNS.items()
    }
    try:
        return find_header(sheet, synonyms)
    except SpreadsheetError:
        if not explicit:
            raise
        first = sheet.rows[0]
        return HeaderMatch(first[0].row, {}, {cell.column: cell.value for cell in first if cell.value})


def _code(table: str, text: str, caption: str, cell: Cell, problems: list[Problem]) -> str:
    if not text:
        return ""
    code = code_table(table).code_for(text)
    if code is None:
        choices = "、".join(code_table(table).labels()[:12])
        problems.append(Problem(cell, f"{caption}“{text}”不在代码表中（可填：{choices}…）"))
        return ""
    return code


def _vocab(enum: type, text: str, caption: str, cell: Cell, problems: list[Problem], default: str) -> str:
    if not text:
        return default
    for member in enum:
        if text in (member.label, member.value) or member.label.startswith(text):
            return member.value
    labels = "、".join(member.label for member in enum)
    problems.append(Problem(cell, f"{caption}“{text}”无法识别（可填：{labels}）"))
    return default


def _lookup_key(raw: str) -> str:
    value = normalize_id_number(raw)
    return upgrade_15_to_18(value) if len(value) == 15 and value.isdigit() else value


class _Reference:
    """What the preview compares each row with: the schools, and those teachers already in the roster
    whose ID numbers appear in the file (read in chunks, as plain rows: a 200,000-teacher roster is
    not loaded as objects for a 50-row school list)."""

    def __init__(self, session: Session, rows: list[Record]) -> None:
        self.schools = {
            name: school_id for school_id, name in session.execute(select(School.id, School.name))
        }
        numbers = sorted({_lookup_key(record.value("id_number")) for record in rows})
        columns = [Teacher.id, Teacher.id_number, *(getattr(Teacher, key) for key in EDITABLE)]
        self.teachers: dict[str, Row] = {}
        for first in range(0, len(numbers), 500):
            chunk = numbers[first : first + 500]
            for row in session.execute(select(*columns).where(Teacher.id_number.in_(chunk))):
                self.teachers[row.id_number] = row


EDITABLE = (
    "name",
    "school_id",
    "stage",
    "subject",
    "title",
    "role",
    "backbone_level",
    "phone",
    "ethnicity",
    "work_start_year",
    "emergency_contact",
    "emergency_phone",
)


def _row_values(valid: ValidTeacher, school_id: str) -> dict[str, object]:
    form = valid.form
    values: dict[str, object] = {key: getattr(form, key) for key in EDITABLE}
    values |= {
        "id_number": valid.id_number.value,
        "gender": valid.id_number.gender,
        "birth_date": valid.id_number.birth_date,
        "school_id": school_id,
        "work_start_year": valid.work_start_year,
    }
    return values


def _changes(teacher: Row, valid: ValidTeacher, filled: set[str]) -> dict[str, object]:
    """Fields the row changes. A blank or missing cell keeps what the roster has: in a school's list
    an empty cell means "not known here", not "erase it"."""
    values = _row_values(valid, valid.form.school_id)
    return {key: values[key] for key in EDITABLE if key in filled and getattr(teacher, key) != values[key]}


def _outcome(record: Record, reference: _Reference, *, today: dt.date, create_schools: bool) -> RowOutcome:
    problems: list[Problem] = []
    cells = record.cells
    text = record.value
    school_name = text("school")
    outcome = RowOutcome(
        row=record.row,
        action="refuse",
        name=text("name"),
        masked_id_number=mask_id_number(text("id_number"))
        if len(text("id_number")) >= 8
        else text("id_number"),
        school_name=school_name,
        problems=problems,
        identity=_identity(text("id_number")),
    )
    school_id = reference.schools.get(school_name, "")
    if not school_name:
        problems.append(Problem(cells["school"], "学校/单位不能为空"))
    elif not school_id:
        if create_schools:
            school_id = f"new:{school_name}"
        else:
            problems.append(
                Problem(cells["school"], f"学校“{school_name}”不在学校名单中（可勾选“自动新建学校”）")
            )

    def cell(key: str) -> Cell:
        return cells.get(key) or Cell(record.row, 0, "")

    form = TeacherForm(
        name=text("name"),
        id_number=text("id_number"),
        school_id=school_id or "?",
        stage=_code("stage", text("stage"), "学段", cell("stage"), problems),
        subject=_code("subject", text("subject"), "学科", cell("subject"), problems),
        title=_code("title", text("title"), "职称", cell("title"), problems),
        ethnicity=_code("ethnicity", text("ethnicity"), "民族", cell("ethnicity"), problems) or "01",
        role=_vocab(TeacherRole, text("role"), "身份", cell("role"), problems, TeacherRole.TEACHER.value),
        backbone_level=_vocab(
            BackboneLevel, text("backbone_level"), "骨干级别", cell("backbone_level"), problems, "none"
        ),
        phone=text("phone"),
        work_start_year=text("work_start_year")[:4],
        emergency_contact=text("emergency_contact"),
        emergency_phone=text("emergency_phone"),
    )
    try:
        valid = validate_teacher(form, today=today)
    except TeacherInvalid as invalid:
        for key, message in invalid.errors.items():
            if key != "school_id":
                problems.append(Problem(cells.get(key), message))
        return outcome
    outcome.masked_id_number = mask_id_number(valid.id_number.value)
    gender_text = text("gender")
    if gender_text and code_table("gender").code_for(gender_text) != valid.id_number.gender:
        problems.append(Problem(cells["gender"], f"性别“{gender_text}”与身份证号不符"))
    if problems:
        return outcome
    outcome.valid = valid
    existing = reference.teachers.get(valid.id_number.value)
    if existing is None:
        outcome.action = "create"
    else:
        filled = {key for key in EDITABLE if text("school" if key == "school_id" else key)}
        outcome.teacher_id = existing.id
        outcome.changes = _changes(existing, valid, filled)
        outcome.action = "update" if outcome.changes else "unchanged"
    return outcome


def preview_teacher_import(
    session: Session,
    path: Path,
    *,
    today: dt.date,
    columns: dict[str, int] | None = None,
    create_schools: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> ImportPreview:
    """Read and check `path` without changing anything. `columns` overrides the detected mapping."""
    sheet = read_sheet(path)
    header = read_header(sheet, remembered_headers(session), explicit=columns is not None)
    mapping = columns if columns is not None else header.columns
    missing = [CAPTIONS[key] for key in REQUIRED if key not in mapping]
    if missing:
        raise SpreadsheetError(
            f"文件 {path.name} 第 {header.row} 行的表头中找不到这些必需的列：{'、'.join(missing)}。"
            "请在“列对应”中指定，或修改表头后重试。"
        )
    rows = list(sheet_records(sheet, header, mapping))
    reference = _Reference(session, rows)
    outcomes: list[RowOutcome] = []
    for index, record in enumerate(rows):
        if index % 1000 == 0:
            if cancelled():
                raise Cancelled
            if progress:
                progress(index, len(rows))
        outcomes.append(_outcome(record, reference, today=today, create_schools=create_schools))
    _refuse_duplicates(outcomes)
    new_schools = sorted(
        {o.school_name for o in outcomes if o.valid and o.valid.form.school_id.startswith("new:")}
    )
    if progress:
        progress(len(rows), len(rows))
    return ImportPreview(path, sheet.sheet_name, header, mapping, outcomes, new_schools, create_schools)


def _identity(raw: str) -> str:
    number = normalize_id_number(raw)
    if len(number) == 15:
        try:
            return upgrade_15_to_18(number)
        except InvalidIdNumber:
            return number
    return number


def _refuse_duplicates(outcomes: list[RowOutcome]) -> None:
    """Rows of one person twice in a file are all refused, whatever else is wrong with either: which
    one is right is for a person to say (importing the twin of a refused row would pick for them)."""
    rows_by_number: dict[str, list[RowOutcome]] = {}
    for outcome in outcomes:
        if outcome.identity:
            rows_by_number.setdefault(outcome.identity, []).append(outcome)
    for group in rows_by_number.values():
        if len(group) < 2:
            continue
        for outcome in group:
            others = "、".join(str(o.row) for o in group if o is not outcome)
            outcome.problems.append(Problem(None, f"身份证号与第 {others} 行重复（同一人出现多次）"))
            outcome.action = "refuse"
            outcome.valid = None


def apply_teacher_import(
    session: Session,
    preview: ImportPreview,
    *,
    county_code: str,
    today: dt.date,
    reserve_pool_reason: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> ImportResult:
    """Write every accepted row of `preview` in the session's transaction (all of them, or none)."""
    access.require(session, Permission.EDIT_ROSTER)
    school_ids: dict[str, str] = {}
    for name in preview.new_schools:
        school = School(name=name, county_code=county_code)
        session.add(school)
        session.flush()
        school_ids[f"new:{name}"] = school.id
    creates = []
    updates: dict[str, dict[str, object]] = {}
    accepted = [o for o in preview.outcomes if o.valid and o.action in ("create", "update", "unchanged")]
    for index, outcome in enumerate(accepted):
        valid = outcome.valid
        assert valid is not None
        school_id = school_ids.get(valid.form.school_id, valid.form.school_id)
        if outcome.action == "create":
            creates.append(_row_values(valid, school_id))
        elif outcome.action == "update":
            assert outcome.teacher_id is not None
            updates[outcome.teacher_id] = {
                key: school_ids.get(value, value) if key == "school_id" else value
                for key, value in outcome.changes.items()
            }
        if index % 1000 == 0:
            if cancelled():
                raise Cancelled  # the caller's transaction rolls back: nothing of the import stays
            if progress:
                progress(index, len(accepted))
    for start in range(0, len(creates), 5000):
        if cancelled():
            raise Cancelled
        insert_synced_rows(session, Teacher, creates[start : start + 5000])
    # Updates in bulk too (Core executemany and their outbox rows), not one ORM object each.
    updated = list(updates)
    for start in range(0, len(updated), 5000):
        if cancelled():
            raise Cancelled
        update_synced_rows(session, Teacher, {key: updates[key] for key in updated[start : start + 5000]})
    session.flush()
    pooled = 0
    if reserve_pool_reason:
        numbers = [o.valid.id_number.value for o in accepted if o.valid]
        ids = [
            teacher_id
            for start in range(0, len(numbers), 500)
            for teacher_id in session.scalars(
                select(Teacher.id).where(Teacher.id_number.in_(numbers[start : start + 500]))
            )
        ]
        pooled = reserve_pool.add_to_pool(session, ids, reason=reserve_pool_reason, day=today)
    remember_mapping(session, preview.header, preview.columns)
    audit.record(
        session,
        AuditAction.ROSTER_IMPORT,
        detail={"file": preview.path.name, "rows": len(creates) + len(updates), "count": len(creates)},
    )
    return ImportResult(len(creates), len(updates), len(school_ids), pooled)


def save_refused_rows(session: Session, preview: ImportPreview, out: Path) -> int:
    """The refused rows as they were in the file, plus the reason, to fix and import again. They hold
    full ID numbers: only for roles that may export them, and written to the audit log (a write session)."""
    access.require(session, Permission.EXPORT_PERSONAL)
    sheet = read_sheet(preview.path)
    refused = {o.row: o for o in preview.refused}
    headers = [
        preview.header.headers.get(c, "") for c in range(1, max(preview.header.headers, default=0) + 1)
    ]
    rows = []
    for cells in sheet.rows:
        outcome = refused.get(cells[0].row)
        if outcome is None or cells[0].row <= preview.header.row:
            continue
        values = {cell.column: cell.value for cell in cells}
        rows.append([values.get(c, "") for c in range(1, len(headers) + 1)] + [outcome.reason, cells[0].row])
    count = write_xlsx(
        out,
        sheet_title="被拒绝的行",
        headers=[*headers, "错误原因", "原行号"],
        rows=rows,
        widths=[14] * len(headers) + [60, 8],
    )
    audit.record(session, AuditAction.REFUSED_ROWS, detail={"file": str(out), "rows": count})
    return count
