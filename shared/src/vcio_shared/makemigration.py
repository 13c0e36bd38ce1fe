"""`python -m vcio_shared.makemigration <package> <message>`: autogenerate a revision against a throwaway server."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from vcio_shared.embedded import Postgres
from vcio_shared.migrations import alembic_config, upgrade


def main() -> None:
    package, message = sys.argv[1], " ".join(sys.argv[2:]) or "change"
    with tempfile.TemporaryDirectory(prefix="vcio-mig-") as tmp:
        Path(tmp).chmod(0o755)
        server = Postgres(Path(tmp) / "data").start()
        try:
            url = server.create_database("makemigration")
            upgrade(package, url)
            cfg = alembic_config(package, url)
            head = ScriptDirectory.from_config(cfg).get_current_head()
            rev_id = f"{int(head or 0) + 1:04d}"
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
