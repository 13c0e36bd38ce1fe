from integrations.db import metadata
from integrations.deliveries import models as delivery_models  # noqa: F401  - register the tables
from integrations.endpoints import models  # noqa: F401  - register the tables
from vcio_shared.migrations import run_env

run_env(metadata)
