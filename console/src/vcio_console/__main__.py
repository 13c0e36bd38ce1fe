"""`python -m vcio_console`: the console under uvicorn on CONSOLE_PORT (8000), on 127.0.0.1 unless CONSOLE_HOST."""

from __future__ import annotations

import os

import uvicorn

from vcio_console.settings import load_console_settings


def main() -> None:
    settings = load_console_settings()  # a bad setting stops here, before uvicorn starts
    host = os.environ.get("CONSOLE_HOST", "127.0.0.1")
    uvicorn.run("vcio_console.main:build_app", factory=True, host=host, port=settings.port, proxy_headers=False)


if __name__ == "__main__":
    main()
