from tests.support.stores import clock, cosmos_client, cosmos_database, other_user, repos, user

__all__ = ["clock", "cosmos_client", "cosmos_database", "other_user", "repos", "user"]
