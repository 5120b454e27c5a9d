"""The Durable Functions engine of devhost: orchestrations, activities and the management API.

Public interface (what the host shell uses)::

    engine = DurableEngine(functions=..., state_dir=..., host_config=..., public_base_url=..., system_key=...)
    await engine.start()          # SQLite under state_dir, loopback rpc listener, resume in-flight work
    engine.client_binding(hub, connection)  # JSON string for a `durableClient` binding
    engine.webhook_app            # ASGI app of the management routes, mounted by the host at
                                  # /runtime/webhooks/durabletask (the host checks the system key)
    await engine.stop()

Modules: protocol (wire constants), replay (the extension's action replay and non-determinism check),
episodes (one orchestrator episode -> one atomic commit), records (what the store reads and writes), store
(SQLite), invoke (calling functions as the Python worker does), activities (one work item -> its completion
event), client_urls (binding JSON and management URLs), rpc_listener (the loopback listener the SDK calls),
api (HTTP routes), engine (dispatch, episodes, activity tasks, lifecycle, management operations).
"""

from devhost.durable.engine import DurableEngine

__all__ = ["DurableEngine"]
