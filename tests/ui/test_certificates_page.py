"""Issuing, printing, revoking and verifying certificates through the page; the PDF read back."""

from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt

from desktop.ui.app import create_application
from desktop.ui.certificate_preview import render_certificate
from desktop.ui.certificates_page import CertificatesPage
from tests.conftest import QuietContext


def test_issue_print_scan_verify_and_revoke(qtbot, writable_demo, tmp_path):
    create_application([])
    page = CertificatesPage(QuietContext(writable_demo))
    qtbot.addWidget(page)
    page.show()
    assert page.training_class.count() >= 2  # 全部班级 and the project's classes
    before = len(page.rows)
    page.context.answer = False  # Cancel: nothing issued
    assert page.issue() == 0 and len(page.rows) == before
    page.context.answer = True
    issued = page.issue()
    assert issued > 0 and len(page.rows) == before + issued
    assert page.context.confirmations == [page.context.confirmations[0]] * 2
    assert page.context.confirmations[0].startswith(f"将为 {issued} 名结业学员签发证书")
    assert page.issue() == 0  # never twice for one trainee
    assert len(page.context.confirmations) == 2  # nothing to issue: nothing asked
    page.table.selectRow(0)
    page.separate.setChecked(True)
    out = tmp_path / "证书.pdf"
    page.print_to(out, selected=True)
    assert [p.name for p in (tmp_path / "证书").glob("*.pdf")] == [
        f"{page.rows[0].serial}-{page.rows[0].holder_name}.pdf"
    ]
    assert page.context.opened == [out]
    assert page.rows[0].print_count >= 1
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert page.rows[0].holder_name in text.replace(" ", "") and "结业证书" in text.replace(" ", "")
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(out), str(tmp_path / "c")], check=True)
    scanned = subprocess.run(
        ["zbarimg", "--raw", "-q", str(next(tmp_path.glob("c*.png")))], capture_output=True, text=True
    ).stdout.strip()
    qtbot.keyClicks(page.scan, scanned)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.verdict.text().startswith("有效：") and page.rows[0].serial in page.verdict.text()
    page.table.selectRow(0)
    preview = page.preview_selected()
    assert 600 <= preview.image.width() <= 1000  # as large as the (800×800 offscreen) screen allows
    png = tmp_path / "preview.png"
    # Large enough for a scanner to resolve the modules (the dialog shows 1,000 px).
    assert render_certificate(preview.item, width=3000).save(str(png))
    # The preview is drawn by the same code as the PDF: its QR code decodes to the same text.
    from_preview = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True
    ).stdout.strip()
    assert from_preview == scanned
    preview.close()
    page.table.selectRow(0)
    page.context.answer = False
    assert not page.revoke_selected("学员冒名顶替")
    assert page.rows[0].revoked is False
    page.context.answer = True
    page.table.selectRow(0)
    assert page.revoke_selected("学员冒名顶替")
    assert (
        page.rows[0].serial in page.context.confirmations[-1]
        and "学员冒名顶替" in page.context.confirmations[-1]
    )
    qtbot.keyClicks(page.scan, scanned)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.verdict.text().startswith("证书已被撤销")
