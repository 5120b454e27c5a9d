from tests.support.contracts import analyzer

__all__ = ["analyzer"]
