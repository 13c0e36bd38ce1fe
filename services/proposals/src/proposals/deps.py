"""Route dependencies: the long form of vcio_shared.auth.scoped(...), which mypy can read as a type."""

from typing import Annotated

from fastapi import Depends, Request

from proposals.proposals.mail import Mailer
from vcio_shared.auth import Principal, require

Reader = Annotated[Principal, Depends(require("proposals:read"))]
Writer = Annotated[Principal, Depends(require("proposals:write"))]


def _mailer(request: Request) -> Mailer:
    """The app's mail PDF renderer (apart from the pages': its own slots and cache) and its public base URL."""
    return Mailer(request.app.state.mail_pdf, request.app.state.runtime.settings.public_base_url)


MailerDep = Annotated[Mailer, Depends(_mailer)]
