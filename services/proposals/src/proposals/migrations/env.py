from proposals.catalog import models as catalog_models  # noqa: F401  - register the tables
from proposals.clients import models as clients_models  # noqa: F401
from proposals.db import metadata
from proposals.msp import models as msp_models  # noqa: F401
from proposals.proposals import models as proposals_models  # noqa: F401
from vcio_shared.migrations import run_env

run_env(metadata)
