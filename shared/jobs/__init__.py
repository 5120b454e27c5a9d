"""What every job shares, whatever its workflow: the job document and its lifecycle (service.py: validated
status changes under ETags, progress with its seq), the start and finish of every orchestration (lifecycle.py),
progress (progress.py), artifacts and the step scope (artifacts.py, scope.py), step outcomes and their errors
(messages.py, errors.py), Durable names (names.py), results (results.py, steps.py) and job-events (events.py)."""
