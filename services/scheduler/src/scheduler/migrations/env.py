from scheduler.activities import models as _activities  # noqa: F401  - register the tables
from scheduler.calendars import models as _calendars  # noqa: F401
from scheduler.db import metadata
from scheduler.plans import models as _plans  # noqa: F401
from scheduler.staff import models as _staff  # noqa: F401
from scheduler.tenants import models as _tenants  # noqa: F401
from vcio_shared.migrations import run_env

run_env(metadata)
