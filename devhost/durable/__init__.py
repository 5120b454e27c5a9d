"""The Durable Functions engine of devhost: orchestrations, activities and the management API."""

from devhost.durable.engine import DurableEngine

__all__ = ["DurableEngine"]
