from billing.agreements import models as _agreements  # noqa: F401  - register the tables
from billing.db import metadata
from billing.deliveries import models as _deliveries  # noqa: F401
from billing.invoices import models as _invoices  # noqa: F401
from billing.runs import models as _runs  # noqa: F401
from billing.tenants import models as _tenants  # noqa: F401
from vcio_shared.migrations import run_env

run_env(metadata)
