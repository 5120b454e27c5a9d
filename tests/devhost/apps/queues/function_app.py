"""Sample app for devhost tests: queue triggers. Results go to files under $RESULTS_DIR."""

import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp()


def _record(name: str, value: object) -> None:
    out = Path(os.environ["RESULTS_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(value))


@app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage) -> None:
    body = msg.get_body().decode()
    _record(
        f"work-{body}.json",
        {
            "id": msg.id,
            "body": body,
            "dequeue_count": msg.dequeue_count,
            "has_insertion_time": msg.insertion_time is not None,
            "has_pop_receipt": bool(msg.pop_receipt),
        },
    )


@app.queue_trigger(arg_name="text", queue_name="%TEXT_QUEUE%", connection="AzureWebJobsStorage")
async def text(text: str) -> None:
    _record(f"text-{text}.json", {"type": type(text).__name__, "value": text})


@app.queue_trigger(arg_name="msg", queue_name="%FLAKY_QUEUE%", connection="AzureWebJobsStorage")
def flaky(msg: func.QueueMessage) -> None:
    body = msg.get_body().decode()
    _record(f"flaky-{body}-{msg.dequeue_count}.json", {"dequeue_count": msg.dequeue_count})
    if body.startswith("fail"):
        raise RuntimeError(f"refusing {body}")
