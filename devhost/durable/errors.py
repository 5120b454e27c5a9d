"""Small named errors of the Durable engine; each carries the offending value."""

from __future__ import annotations


class DurableEngineError(Exception):
    """Base class of the engine's own errors."""


class NonDeterminismError(DurableEngineError):
    """The orchestrator's actions no longer match the history it produced before."""

    def __init__(self, sequence_id: int, history_kind: str, history_name: str, actual: str) -> None:
        self.sequence_id = sequence_id
        super().__init__(
            f"Non-deterministic workflow detected: history has {history_kind} '{history_name}' "
            f"at sequence number {sequence_id}, but the orchestrator now {actual}. "
            "Was the orchestrator code changed while this instance was running?"
        )


class UnsupportedActionError(DurableEngineError):
    """The SDK returned an action type devhost does not implement (entities, HTTP)."""

    def __init__(self, action_type: object) -> None:
        self.action_type = action_type
        super().__init__(f"devhost does not support Durable action type {action_type!r}")


class InvalidInstanceIdError(DurableEngineError):
    """An instance id the Durable extension would refuse."""

    def __init__(self, instance_id: str, why: str) -> None:
        self.instance_id = instance_id
        super().__init__(f"Invalid instance id {instance_id!r}: {why}")


class UnknownOrchestratorError(DurableEngineError):
    """Start requested for a function that is not an orchestrator of this app."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function.")


class InstanceAlreadyRunningError(DurableEngineError):
    """Start requested with the id of a non-terminal instance."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id
        super().__init__(f"An instance with ID '{instance_id}' already exists and is not in a terminal state.")


class EngineNotStartedError(DurableEngineError):
    """The engine was used before `await DurableEngine.start()` (no store, no rpc listener yet)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"DurableEngine.{what} needs the engine started: await DurableEngine.start() first")
