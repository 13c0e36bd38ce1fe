"""What a service's handlers and `main.py` import to consume events: `ConsumerSpec`, `PoisonEvent`, `handle_once`.

The parts live in modules named for what they hold: `consumers` (the runner, inbox guard, dead letters),
`connection` (the NATS connection), `outbox` (the relay), `relay` (the relay's child process). Handlers import
from here, so the modules behind can move without touching every service."""

from vcio_shared.connection import Bus, stream_name
from vcio_shared.consumers import ConsumerSpec, PoisonEvent, handle_once

__all__ = ["Bus", "ConsumerSpec", "PoisonEvent", "handle_once", "stream_name"]
