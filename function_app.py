"""The function app: wiring only. Each feature module owns one Blueprint; this file registers them.

Every HTTP function is anonymous at the Functions level: identity comes from App Service Authentication
(EasyAuth) in front of the app, read by shared/identity.py.
"""

import azure.durable_functions as df
import azure.functions as func

from api.contracts import bp as contracts_bp
from api.jobs import bp as jobs_bp
from api.legacy import bp as legacy_bp
from api.queue_starter import bp as queue_starter_bp
from api.results import bp as results_bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (
    contracts_bp,
    jobs_bp,
    results_bp,
    legacy_bp,
    queue_starter_bp,
):
    app.register_functions(blueprint)
