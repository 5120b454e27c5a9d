"""An app whose keys are all generated (no local.settings.json): an HTTP starter behind a function key and an
orchestration that waits for an event, so it is still running when the crash test kills the host."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

APPROVAL_EVENT = "approval"


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"], None, req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def await_approval(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    request = context.get_input()
    decision = yield context.wait_for_external_event(APPROVAL_EVENT)
    return {"request": request, "decision": decision}
