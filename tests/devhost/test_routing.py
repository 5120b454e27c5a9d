import pytest

from devhost.routing import Route, RouteTable, RouteTemplate, RouteTemplateError


def match(template: str, path: str, prefix: str = "api") -> dict[str, str] | None:
    return RouteTemplate.compile(template, prefix).match(path)


def test_parameters_and_literals_are_case_insensitive_for_literals() -> None:
    assert match("users/{id}/orders", "/api/users/7/orders") == {"id": "7"}
    assert match("users/{id}/orders", "/API/Users/Ab/ORDERS") == {"id": "Ab"}
    assert match("users/{id}/orders", "/api/users/7") is None


def test_route_prefix_empty_and_custom() -> None:
    assert match("ping", "/ping", prefix="") == {}
    assert match("ping", "/v1/ping", prefix="v1") == {}
    assert match("ping", "/api/ping", prefix="") is None


def test_trailing_slash_is_ignored() -> None:
    assert match("ping", "/api/ping/") == {}


@pytest.mark.parametrize(
    ("template", "good", "bad"),
    [
        ("{id:int}", "-12", "1.5"),
        ("{id:long}", "9000000000", "x"),
        ("{id:bool}", "True", "yes"),
        ("{id:guid}", "0f8fad5b-d9cb-469f-a165-70867728950e", "nope"),
        ("{id:alpha}", "abcXYZ", "abc1"),
        ("{id:double}", "1.5", "one"),
        ("{id:minlength(3)}", "abc", "ab"),
        ("{id:maxlength(2)}", "ab", "abc"),
        ("{id:length(2)}", "ab", "a"),
        ("{id:length(1,2)}", "a", "abc"),
        ("{id:int:min(10)}", "10", "9"),
        ("{id:max(5)}", "5", "6"),
        ("{id:range(1,3)}", "2", "4"),
        (r"{id:regex(^\d+$)}", "123", "12a"),
        ("{id:datetime}", "2024-01-02", "yesterday"),
    ],
)
def test_constraints(template: str, good: str, bad: str) -> None:
    assert match(f"x/{template}", f"/api/x/{good}") == {"id": good}
    assert match(f"x/{template}", f"/api/x/{bad}") is None


def test_optional_parameter() -> None:
    assert match("x/{id?}", "/api/x") == {}
    assert match("x/{id:int?}", "/api/x/5") == {"id": "5"}
    assert match("x/{id:int?}", "/api/x/a") is None


def test_catch_all_takes_the_rest_including_slashes() -> None:
    assert match("files/{*path}", "/api/files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert match("files/{*path}", "/api/files") == {}


def test_several_parameters_in_one_segment() -> None:
    assert match("img/{name}.{ext}", "/api/img/photo.large.png") == {"name": "photo.large", "ext": "png"}


def test_bad_templates_are_rejected_with_the_template() -> None:
    with pytest.raises(RouteTemplateError, match="unknown constraint"):
        RouteTemplate.compile("x/{id:frobnicate}")
    with pytest.raises(RouteTemplateError, match="catch-all"):
        RouteTemplate.compile("x/{*rest}/more")
    with pytest.raises(RouteTemplateError, match="unbalanced"):
        RouteTemplate.compile("x/{id")


def test_table_prefers_literals_and_reports_wrong_methods() -> None:
    table = RouteTable(
        [
            Route(RouteTemplate.compile("items/{id}", "api"), frozenset({"GET"}), "by-id"),
            Route(RouteTemplate.compile("items/new", "api"), frozenset({"GET"}), "new"),
            Route(RouteTemplate.compile("items/{id:int}", "api"), frozenset({"GET"}), "by-int"),
            Route(RouteTemplate.compile("items", "api"), frozenset({"POST"}), "create"),
        ]
    )
    found = table.resolve("GET", "/api/items/new")
    assert found is not None and found.target == "new"
    found = table.resolve("get", "/api/items/5")
    assert found is not None and (found.target, found.params) == ("by-int", {"id": "5"})
    found = table.resolve("GET", "/api/items/x")
    assert found is not None and found.target == "by-id"
    wrong = table.resolve("GET", "/api/items")
    assert wrong is not None and wrong.target is None and wrong.allowed_methods == {"POST"}
    assert table.resolve("GET", "/api/other") is None
