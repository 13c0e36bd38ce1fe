pytest_plugins = ["vcio_shared.testing"]
