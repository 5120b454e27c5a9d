"""devhost: a local host for Python v2 (Durable) Azure Functions apps, without Core Tools.

Development and tests only; never deployed (see .funcignore). It imports nothing from the app it hosts.
"""
