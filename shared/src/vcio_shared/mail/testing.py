"""A real SMTP server for tests (aiosmtpd on a free port) that records what arrives and can refuse it.

with SmtpRecorder() as smtp:            # or SmtpRecorder(port) to come up where a client already points
    smtp.refuse_rcpt = "550 5.1.1 no such mailbox"
    ...
    smtp.messages                       # each an email.message.EmailMessage, parsed with policy.default
"""

from __future__ import annotations

import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from vcio_shared.embedded import free_port


class _Handler:
    def __init__(self, recorder: SmtpRecorder) -> None:
        self.recorder = recorder

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.recorder.refuse_rcpt:
            return self.recorder.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.recorder.refuse_data:
            return self.recorder.refuse_data
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.recorder.messages.append(parsed)
        self.recorder.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpRecorder:
    """An aiosmtpd server in a thread. With `tls_context` it offers STARTTLS; with `credentials` it requires
    AUTH (PLAIN or LOGIN) with that user and password before it accepts mail."""

    def __init__(
        self,
        port: int | None = None,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_rcpt: str | None = None
        self.refuse_data: str | None = None
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=True)
        if credentials is not None:
            options.update(authenticator=self._authenticator(credentials), auth_required=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)

    def _authenticator(self, credentials: tuple[str, str]) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                )
                == credentials
            )
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def __enter__(self) -> Self:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
