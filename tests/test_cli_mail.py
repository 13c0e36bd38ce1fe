"""The embedded sink as a child process keeps what arrives as .eml files; `vcio mail` lists, shows, opens them."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import aiosmtplib
import pytest
from typer.testing import CliRunner

from vcio_cli import mail as mail_cli
from vcio_shared.embedded import free_port
from vcio_shared.mail import Attachment, Mail, SenderProfile, build, message_id
from vcio_shared.mail.sink import mail_dir, start_sink, stop_sink

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("VCIO_DATA_DIR", str(tmp_path))
    port = free_port()
    process = start_sink(tmp_path, port)
    yield port
    stop_sink(process)
    assert process.returncode is not None


def invoice(n: int, *, html: bool = True) -> Mail:
    return Mail(
        tenant_id="t1",
        cause=f"invoice.issued:inv-{n}",
        message_id=message_id("t1", f"invoice.issued:inv-{n}", "msp.example"),
        to=["Ada Client <ada@client.example>"],
        subject=f"Invoice INV-{n:04d}",
        text=f"Invoice INV-{n:04d}: total due 1,234.56 EUR",
        html=f"<html><body><h1>INV-{n:04d}</h1><p>1,234.56 EUR</p></body></html>" if html else None,
        attachments=[Attachment(f"INV-{n:04d}.pdf", "application/pdf", b"%PDF-1.4 " + b"x" * 91)] if html else [],
        sender=SenderProfile("Acme MSP"),
        created_at=T0 + dt.timedelta(minutes=n),
    )


async def send(port: int, *mails: Mail) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        for m in mails:
            await smtp.send_message(build(m, "mail@msp.example"))


def test_the_sink_keeps_each_message_in_arrival_order_and_the_cli_lists_shows_and_opens_them(
    sink: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(send(sink, invoice(1), invoice(2, html=False), invoice(3)))
    files = sorted(mail_dir(tmp_path).glob("*.eml"))
    assert len(files) == 3
    assert list(mail_dir(tmp_path).glob(".*")) == []  # no half-written message left behind
    stored = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [str(m["Subject"]) for m in stored] == ["Invoice INV-0001", "Invoice INV-0002", "Invoice INV-0003"]
    assert str(stored[0]["Message-ID"]) == message_id("t1", "invoice.issued:inv-1", "msp.example")

    runner = CliRunner()
    listed = runner.invoke(mail_cli.app, ["list"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "Invoice INV-" in line]
    assert [row.split("│")[1].strip() for row in rows] == ["1", "2", "3"]
    assert "2026-11-02 09:01" in rows[0] and "INV-0001.pdf" in rows[0] and "Acme MSP" in rows[0]
    assert "Invoice INV-0002" in rows[1] and ".pdf" not in rows[1]
    newest = runner.invoke(mail_cli.app, ["list", "--last", "1"])
    assert [line for line in newest.output.splitlines() if "Invoice INV-" in line][0].split("│")[1].strip() == "3"

    shown = runner.invoke(mail_cli.app, ["show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Invoice INV-0001" in shown.output
    assert "To: Ada Client <ada@client.example>" in shown.output
    assert "Attachment: INV-0001.pdf (application/pdf, 100 bytes)" in shown.output
    assert "Invoice INV-0001: total due 1,234.56 EUR" in shown.output

    opened: list[str] = []
    monkeypatch.setattr(mail_cli.webbrowser, "open", opened.append)  # the browser is not ours: a fake
    result = runner.invoke(mail_cli.app, ["open", "3"])
    assert result.exit_code == 0, result.output
    [uri] = opened
    assert uri.startswith("file://") and uri.endswith(".html")
    page = Path(uri.removeprefix("file://")).read_text()
    assert "<h1>INV-0003</h1><p>1,234.56 EUR</p>" in page
    Path(uri.removeprefix("file://")).unlink()

    no_html = runner.invoke(mail_cli.app, ["open", "2"])
    assert (no_html.exit_code, "message 2 has no HTML part" in no_html.output) == (1, True)
    missing = runner.invoke(mail_cli.app, ["show", "4"])
    assert (missing.exit_code, "no message 4" in missing.output) == (1, True)


def test_an_empty_sink_directory_lists_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCIO_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(mail_cli.app, ["list"])
    assert result.exit_code == 0
    assert f"no mail in {tmp_path / 'mail'} yet" in result.output


def test_the_sink_starts_without_the_services_libraries() -> None:
    """`vcio dev` restarts a dead sink and waits for it: it imports neither SQLAlchemy, FastAPI nor aiosmtplib
    (a sink that took over 10 s to import them on a loaded machine was given up on, once)."""
    heavy = "('sqlalchemy', 'fastapi', 'aiosmtplib')"
    probe = f"import sys, vcio_shared.mail.sink; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
