from tests.support.app_env import repos, settings

__all__ = ["repos", "settings"]
