"""`vcio mail list|show|open`: the messages the local SMTP sink kept, as a client would receive them.

The sink (`python -m vcio_shared.mail.sink`, started by `vcio dev`) stores each message as an .eml file under
`VCIO_DATA_DIR/mail/`, named in order of arrival. A message's ID is its place in that order: 1 is the oldest."""

from __future__ import annotations

import sys
import tempfile
import webbrowser
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vcio_cli.client import data_dir

app = typer.Typer(help="Mail the local sink received (what clients would get).", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)  # piped output keeps addresses whole
SHOWN = ("Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "List-Unsubscribe")


def mail_files(directory: Path | None = None) -> list[Path]:
    """The sink's messages, oldest first (their names sort by arrival)."""
    directory = directory or data_dir() / "mail"
    return sorted(directory.glob("*.eml")) if directory.is_dir() else []


def read(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _find(message_id: str) -> tuple[int, EmailMessage]:
    files = mail_files()
    number = int(message_id) if message_id.isdigit() else 0
    if not 1 <= number <= len(files):
        where = data_dir() / "mail"
        console.print(f"[red]no message {message_id}[/red]: {len(files)} in {where} (`vcio mail list` numbers them)")
        raise typer.Exit(1)
    return number, read(files[number - 1])


def _date(msg: EmailMessage) -> str:
    try:
        return parsedate_to_datetime(str(msg["Date"])).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return ""


def _attachments(msg: EmailMessage) -> list[str]:
    return [part.get_filename() or part.get_content_type() for part in msg.iter_attachments()]


@app.command("list")
def list_mail(
    last: Annotated[int, typer.Option("--last", "-n", help="how many of the newest messages")] = 50,
) -> None:
    """The newest messages the sink received, oldest of them first."""
    files = mail_files()
    table = Table("id", "date", "from", "to", "subject", "attachments")
    start = max(0, len(files) - last)
    for number, path in enumerate(files[start:], start=start + 1):
        msg = read(path)
        table.add_row(
            str(number),
            _date(msg),
            str(msg["From"] or ""),
            str(msg["To"] or ""),
            str(msg["Subject"] or ""),
            ", ".join(_attachments(msg)),
        )
    console.print(table)
    if not files:
        console.print(f"no mail in {data_dir() / 'mail'} yet")


@app.command("show")
def show(message_id: Annotated[str, typer.Argument(help="the message's id in `vcio mail list`")]) -> None:
    """A message's headers, its attachments and its text part."""
    _, msg = _find(message_id)
    for name in SHOWN:
        if msg[name] is not None:
            console.print(f"[bold]{name}:[/bold] {msg[name]}", highlight=False)
    for attachment in msg.iter_attachments():
        size = len(attachment.get_content())
        console.print(
            f"[bold]Attachment:[/bold] {attachment.get_filename()} ({attachment.get_content_type()}, {size} bytes)"
        )
    text = msg.get_body(("plain",))
    console.print()
    console.print(text.get_content() if text is not None else "(no text part)", highlight=False, markup=False)


@app.command("open")
def open_html(message_id: Annotated[str, typer.Argument(help="the message's id in `vcio mail list`")]) -> None:
    """Write the message's HTML part to a temporary file and open it in the browser."""
    number, msg = _find(message_id)
    html = msg.get_body(("html",))
    if html is None:
        console.print(f"[red]message {number} has no HTML part[/red]: `vcio mail show {number}` prints its text")
        raise typer.Exit(1)
    with tempfile.NamedTemporaryFile("w", suffix=".html", prefix=f"vcio-mail-{number}-", delete=False) as out:
        out.write(html.get_content())
    console.print(f"opening {out.name}")
    webbrowser.open(Path(out.name).as_uri())
