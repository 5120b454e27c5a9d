"""Sample app for devhost tests: timer triggers. Results go to files under $RESULTS_DIR."""

import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp()


def _append(name: str, value: object) -> None:
    out = Path(os.environ["RESULTS_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    with (out / name).open("a") as f:
        f.write(json.dumps(value) + "\n")


@app.timer_trigger(schedule="* * * * * *", arg_name="timer")
def every_second(timer: func.TimerRequest) -> None:
    _append("every_second.jsonl", {"past_due": timer.past_due})


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
async def yearly(timer: func.TimerRequest) -> None:
    _append("yearly.jsonl", {"past_due": timer.past_due})
