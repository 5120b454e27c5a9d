"""Sample app for devhost tests: HTTP starter -> orchestrator -> activity."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"], None, req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def greet_all(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    names = context.get_input()
    greetings = []
    for name in names:
        greetings.append((yield context.call_activity("say_hello", name)))
    return greetings


@app.activity_trigger(input_name="name")
def say_hello(name: str) -> str:
    return f"Hello {name}"
