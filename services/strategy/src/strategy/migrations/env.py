from strategy.assessments import models as assessment_models  # noqa: F401  - register the tables
from strategy.clients import models as client_models  # noqa: F401  - register the tables
from strategy.db import metadata
from strategy.delivered import models as delivered_models  # noqa: F401  - register the tables
from strategy.initiatives import models as initiative_models  # noqa: F401  - register the tables
from strategy.invoices import models as invoice_models  # noqa: F401  - register the tables
from strategy.reports import models as report_models  # noqa: F401  - register the tables
from strategy.shares import models as share_models  # noqa: F401  - register the tables
from strategy.standards import models as standard_models  # noqa: F401  - register the tables
from strategy.tenants import models as tenant_models  # noqa: F401  - register the tables
from vcio_shared.migrations import run_env

run_env(metadata)
