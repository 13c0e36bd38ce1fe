from catalog.db import metadata
from catalog.packages import models  # noqa: F401  - register the tables
from catalog.tenants import models as tenant_models  # noqa: F401
from vcio_shared.migrations import run_env

run_env(metadata)
