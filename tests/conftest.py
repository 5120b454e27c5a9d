pytest_plugins = ["tests.support.azurite", "tests.support.cosmos_server"]
