"""Numbers and booleans of request bodies as JSON has them.

pydantic's lax mode takes `true` for 1, `"5"` for 5 and `"yes"` or `1` for true: none of that is what a client's JSON
means, and the OpenAPI description (integer, number, boolean) does not allow it. A request field of these types
takes only a JSON number (an integer for JsonInt: 5 and 5.0 alike) or a JSON boolean.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(_integral), Strict()]
JsonFloat = Annotated[float, Strict()]
JsonBool = Annotated[bool, Strict()]
