"""The first-start page: a PC with no county (or with a damaged one) chooses how to begin.

Three ways in, in the order a county is most likely to need them: connect to the province (its data
comes down, and a re-installed PC gets everything back), start offline for one county of the GB/T 2260
table, or restore a backup. The page never opens a database itself: it calls the service that builds
one and then says `county_ready`, and the launcher opens the main window on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCommandLinkButton,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import divisions
from desktop.errors import DatabaseCorrupt, GuopeiError
from desktop.services import accounts
from desktop.ui.errors import show_error
from desktop.ui.first_admin import FirstAdminPage
from desktop.ui.tasks import Reporter, TaskRunner
from guopei_common.protocol import parse_registration

COLUMN_WIDTH = 860


class FirstStartPage(QWidget):
    """Emits `county_ready` once the data directory holds a county that can be opened, with the key of
    the page to show first (the roster, after an offline start: its next step is the roster import)."""

    county_ready = Signal(str)

    def __init__(
        self,
        data_dir: Path,
        *,
        runner: TaskRunner | None = None,
        damaged: DatabaseCorrupt | None = None,
        log_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.runner = runner or TaskRunner()
        self.damaged = damaged
        self.log_path = log_path
        self.setWindowTitle(self.tr("国培桌面端 — 开始使用"))

        title = QLabel(self.tr("欢迎使用国培桌面端"))
        title.setObjectName("pageTitle")
        if damaged is None:
            intro_text = self.tr("这台电脑上还没有本县的数据。请选择开始的方式：")
        else:
            intro_text = self.tr(
                "本县的数据文件已损坏，为防止数据进一步丢失，程序没有打开它（原文件会保留，不会删除）。\n"
                "检查结果：{detail}\n请选择恢复的方式："
            ).format(detail=damaged.detail)
        intro = QLabel(intro_text)
        intro.setWordWrap(True)
        self.intro = intro

        self.stack = QStackedWidget()
        self.choices = self._choices_page()
        self.connect_page = ConnectPage(self)
        self.offline_page = OfflinePage(self)
        self.restore_page = RestorePage(self)
        self.first_page_key = "dashboard"  # the page shown once the county is ready
        self.admin_page = FirstAdminPage(data_dir, lambda: self.county_ready.emit(self.first_page_key))
        for page in (self.choices, self.connect_page, self.offline_page, self.restore_page, self.admin_page):
            self.stack.addWidget(page)

        self.section = QLabel()
        self.section.setObjectName("sectionTitle")
        self.stack.currentChanged.connect(self._entered)

        # One readable column in the middle of the screen, however wide the window is.
        column = QWidget()
        column.setMaximumWidth(COLUMN_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(8)
        inner.addWidget(self.section)
        inner.addWidget(self.stack, 1)
        where = QLabel(self.tr("数据目录：{path}").format(path=data_dir))
        where.setObjectName("emptyNote")
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner.addWidget(where)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 16)
        layout.addStretch(1)
        layout.addWidget(column, 100)
        layout.addStretch(1)

        # Keyboard first: 1/2/3 choose a way in, Esc goes back to the choice.
        ways = (self.connect_button, self.offline_button, self.restore_button)
        for key, button in zip("123", ways, strict=True):
            # A way that is hidden (no fresh start for a damaged county) is not chosen by its key either.
            QShortcut(QKeySequence(key), self.choices, activated=lambda b=button: b.isVisible() and b.click())
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.back_to_choices)
        self._entered()

    def _entered(self) -> None:
        """Name the step and put the cursor in its first field."""
        page = self.stack.currentWidget()
        titles = {
            self.connect_page: self.tr("连接省级平台"),
            self.offline_page: self.tr("离线开始"),
            self.restore_page: self.tr("从备份恢复"),
            self.admin_page: self.tr("建立管理员账户（推荐）"),
        }
        self.section.setText(titles.get(page, ""))
        self.section.setVisible(page in titles)
        first = getattr(page, "first_field", None)
        if first is not None:
            first.setFocus()

    def _choices_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.connect_button = QCommandLinkButton(
            self.tr("1  连接省级平台"),
            self.tr(
                "输入省级平台地址和一次性注册码（或用扫码枪扫描注册二维码），下载本县的全部数据。"
                "重装系统或换电脑后，也用这种方式找回数据。"
            ),
        )
        self.offline_button = QCommandLinkButton(
            self.tr("2  离线开始"),
            self.tr(
                "暂时连不上省级平台：选择本县，建立空的本县数据，然后导入教师名单。"
                "以后可在“同步”页注册，首次同步时会上传离线期间录入的全部数据。"
            ),
        )
        self.restore_button = QCommandLinkButton(
            self.tr("3  从备份恢复"),
            self.tr("选择备份文件（如 U 盘上的 .gpbak 文件）并输入备份密码。"),
        )
        if self.damaged is not None:
            self.connect_button.setText(self.tr("1  从省级平台重新下载"))
            self.connect_button.setDescription(
                self.tr("已同步到省级平台的数据全部找回；本机尚未同步的修改会丢失。")
            )
        self.connect_button.clicked.connect(lambda: self.stack.setCurrentWidget(self.connect_page))
        self.offline_button.clicked.connect(lambda: self.stack.setCurrentWidget(self.offline_page))
        self.restore_button.clicked.connect(lambda: self.stack.setCurrentWidget(self.restore_page))
        for button in (self.connect_button, self.offline_button, self.restore_button):
            layout.addWidget(button)
        # A damaged county is not started afresh: that would give it a second, empty identity.
        self.offline_button.setVisible(self.damaged is None)
        layout.addStretch(1)
        return page

    def back_to_choices(self) -> None:
        if self.stack.currentWidget() is not self.admin_page:  # the county is built: no way back
            self.stack.setCurrentWidget(self.choices)

    def run(self, *, title: str, work: Callable[[Reporter], object], first_page: str = "dashboard") -> None:
        """Run a step that builds the county in the background; on success the county is ready."""
        self.runner.run(
            self,
            title=title,
            work=work,
            on_done=lambda _result: self._built(first_page),
            on_error=lambda error: show_error(self, error, log_path=self.log_path),
        )

    def _built(self, first_page: str) -> None:
        """The county is there: offer its first administrator (optional) unless it has accounts."""
        self.first_page_key = first_page
        if accounts.first_administrator_needed(self.data_dir):
            self.intro.setText(self.tr("本县的数据已就绪。"))
            self.stack.setCurrentWidget(self.admin_page)
        else:
            self.county_ready.emit(first_page)


def _back_button(owner: FirstStartPage) -> QPushButton:
    button = QPushButton(owner.tr("← 返回"))
    button.clicked.connect(owner.back_to_choices)
    return button


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


class ConnectPage(QWidget):
    """Server address and one-time code, typed or scanned from the province's registration QR code."""

    def __init__(self, owner: FirstStartPage) -> None:
        super().__init__()
        self.owner = owner
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://guopei.example.gov.cn")
        self.code = QLineEdit()
        self.code.setPlaceholderText("ABCD-EFGH-JKLM-NPQR")
        self.first_field = self.url
        self.start = QPushButton(self.tr("连接并下载本县数据"))
        self.start.setDefault(True)
        self.start.clicked.connect(self.submit)
        # A USB scanner types the QR code's text into whichever field has the focus.
        self.url.textChanged.connect(self._scanned)
        self.code.textChanged.connect(self._scanned)
        self.url.returnPressed.connect(self.code.setFocus)
        self.code.returnPressed.connect(self.submit)

        form = QFormLayout(self)
        if owner.damaged is None:
            form.addRow(self.tr("服务器地址"), self.url)
            form.addRow(self.tr("一次性注册码"), self.code)
            note = self.tr(
                "注册码由省级管理员发给本县，只能使用一次。有注册二维码的，把光标放在任一框中用扫码枪扫描，"
                "两项会一起填好。下载中途断网，重新点击即可接着下载，不需要新的注册码。"
            )
        else:
            self.start.setText(self.tr("从省级平台重新下载"))
            note = self.tr("使用本机已保存的注册信息，从省级平台下载本县数据，建立新的数据文件。")
        hint = QLabel(note)
        hint.setWordWrap(True)
        form.addRow(hint)
        form.addRow(_buttons(_back_button(owner), self.start))

    def _scanned(self, text: str) -> None:
        found = parse_registration(text)
        if found is None:
            return
        for field, value in zip((self.url, self.code), found, strict=True):
            field.blockSignals(True)
            field.setText(value)
            field.blockSignals(False)

    def submit(self) -> None:
        from desktop.sync.first_pull import init_from_server, recover_from_server

        data_dir = self.owner.data_dir
        if self.owner.damaged is not None:
            self.owner.run(
                title=self.tr("正在从省级平台下载本县数据…"),
                # force: the launcher found the file damaged, by the quick check or the weekly full one.
                work=lambda reporter: recover_from_server(
                    data_dir, progress=_percent(reporter), cancelled=reporter.cancelled, force=True
                ),
            )
            return
        url, code = self.url.text().strip(), self.code.text().strip()
        self.owner.run(
            title=self.tr("正在连接省级平台…"),
            work=lambda reporter: init_from_server(
                data_dir, url, code, progress=_percent(reporter), cancelled=reporter.cancelled
            ),
        )


def _percent(reporter: Reporter) -> Callable[[int, str], None]:
    return lambda percent, message: reporter.progress(percent, 100, message)


class OfflinePage(QWidget):
    """Province → prefecture → county from the GB/T 2260 table, or a code or name typed straight in."""

    def __init__(self, owner: FirstStartPage) -> None:
        super().__init__()
        self.owner = owner
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("输入区县代码或名称，如 522727 或 平塘县"))
        self.province = QComboBox()
        self.city = QComboBox()
        self.county = QComboBox()
        self.centre = QLineEdit()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.first_field = self.search
        self.create = QPushButton(self.tr("建立本县数据"))
        self.create.setDefault(True)

        for code, name in divisions.provinces():
            self.province.addItem(name, code)
        self.province.currentIndexChanged.connect(self._fill_cities)
        self.city.currentIndexChanged.connect(self._fill_counties)
        self.county.currentIndexChanged.connect(self._county_chosen)
        self.search.returnPressed.connect(self._find)
        self.centre.returnPressed.connect(self.submit)
        self.create.clicked.connect(self.submit)

        form = QFormLayout(self)
        form.addRow(self.tr("查找"), self.search)
        form.addRow(self.tr("省份"), self.province)
        form.addRow(self.tr("市（州）"), self.city)
        form.addRow(self.tr("区县"), self.county)
        form.addRow(self.tr("培训机构名称"), self.centre)
        form.addRow(self.message)
        next_step = QLabel(self.tr("建立后请导入教师名单（教师 → 导入…），并在“备份”页设置备份密码。"))
        next_step.setWordWrap(True)
        form.addRow(next_step)
        form.addRow(_buttons(_back_button(owner), self.create))
        self._fill_cities()

    def _fill_cities(self) -> None:
        self.city.blockSignals(True)
        self.city.clear()
        for code, name in divisions.cities(self.province.currentData()):
            self.city.addItem(name, code)
        self.city.blockSignals(False)
        self._fill_counties()

    def _fill_counties(self) -> None:
        self.county.blockSignals(True)
        self.county.clear()
        for county in divisions.counties_of(self.province.currentData(), self.city.currentData()):
            self.county.addItem(f"{county.name}（{county.code}）", county.code)
        self.county.blockSignals(False)
        self._county_chosen()

    def _county_chosen(self) -> None:
        from desktop.services.county_setup import default_centre_name

        county = self.chosen()
        if county is not None:
            self.centre.setText(default_centre_name(county.name))
            text = self.tr("将建立：{name}（{code}）")
            self.message.setText(text.format(name=county.full_name, code=county.code))

    def chosen(self) -> divisions.County | None:
        code = self.county.currentData()
        return divisions.find_county(code) if code else None

    def select(self, county: divisions.County) -> None:
        """Show `county` in the three lists (a typed code or name lands here)."""
        self.province.setCurrentIndex(self.province.findData(county.province_code))
        self.city.setCurrentIndex(self.city.findData(county.city_code))
        self.county.setCurrentIndex(self.county.findData(county.code))

    def _find(self) -> None:
        try:
            self.select(divisions.find_county(self.search.text()))
            self.centre.setFocus()  # Enter there creates the county: code, Enter, Enter
        except divisions.UnknownCounty as error:
            if len(error.suggestions) == 1:
                self.select(error.suggestions[0])  # shown for the person to confirm, not created
            self.message.setText(str(error))

    def submit(self) -> None:
        from desktop.services.county_setup import init_county

        county = self.chosen()
        if county is None:
            self.message.setText(self.tr("请先选择区县"))
            return
        data_dir, centre = self.owner.data_dir, self.centre.text()
        self.owner.run(
            title=self.tr("正在建立本县数据…"),
            work=lambda _reporter: init_county(data_dir, county.code, centre_name=centre).dispose(),
            first_page="teachers",
        )


class RestorePage(QWidget):
    """A backup file (the newest one of this PC is offered) and its password."""

    def __init__(self, owner: FirstStartPage) -> None:
        super().__init__()
        self.owner = owner
        self.file = QLineEdit()
        self.file.setPlaceholderText(self.tr("备份文件（.gpbak）"))
        browse = QPushButton(self.tr("选择文件…"))
        browse.clicked.connect(self._browse)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.submit)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.first_field = self.password
        self.start = QPushButton(self.tr("恢复"))
        self.start.setDefault(True)
        self.start.clicked.connect(self.submit)

        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(self.tr("备份文件"), file_row)
        form.addRow(self.tr("备份密码"), self.password)
        form.addRow(self.about)
        warning = QLabel(
            self.tr(
                "备份之后所做、且尚未同步到省级平台的修改，恢复后会丢失。忘记备份密码将无法恢复备份，"
                "这时请改用“连接省级平台”找回已同步的数据。"
            )
        )
        warning.setWordWrap(True)
        form.addRow(warning)
        form.addRow(_buttons(_back_button(owner), self.start))
        self.file.textChanged.connect(self._describe)
        self._offer_newest()

    def _offer_newest(self) -> None:
        from desktop.services.backups import backups_dir, list_backups

        usable = [info for info in list_backups(backups_dir(self.owner.data_dir)) if info.verified]
        if usable:
            self.file.setText(str(usable[0].path))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择备份文件"), str(self.owner.data_dir), self.tr("国培桌面端备份 (*.gpbak)")
        )
        if path:
            self.file.setText(path)

    def _describe(self, text: str) -> None:
        from desktop.services.backups import read_header

        path = Path(text.strip())
        if not path.is_file():
            self.about.setText("")
            return
        try:
            info = read_header(path).facts
        except GuopeiError as error:  # not a backup, or a damaged one: said next to the field
            self.about.setText(str(error).splitlines()[0])
            return
        self.about.setText(
            self.tr("{county}（{code}）· 备份于 {time:%Y-%m-%d %H:%M} · 将丢失此后未同步的修改").format(
                county=info.county_name, code=info.county_code, time=info.created_at
            )
        )

    def submit(self) -> None:
        from desktop.sync.first_pull import restore_and_catch_up

        path, password = Path(self.file.text().strip()), self.password.text()
        data_dir = self.owner.data_dir
        self.owner.run(
            title=self.tr("正在恢复备份…"),
            work=lambda _reporter: restore_and_catch_up(path, password, data_dir),
        )
