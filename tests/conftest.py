pytest_plugins = ["tests.support.azurite", "tests.support.cosmos_server", "tests.support.openai_server"]
