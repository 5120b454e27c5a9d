"""Contracts API through direct function invocation: upload, list, read, delete, ownership, bad input."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from shared.hosting import Hosting
from tests.api.conftest import CONTRACT_TEXT, Api, upload, upload_sample
from tests.support import hostile_files as hostile


async def test_upload_text_then_read_it_back_with_clause_offsets(api: Api) -> None:
    reply = await api.call("POST", "/api/contracts", json_body={"title": "  MSA 2024 ", "text": CONTRACT_TEXT})
    assert reply.status == 201
    created = reply.json
    assert set(created) == {"contract_id", "title", "clause_count", "token_count"}
    assert created["title"] == "MSA 2024"
    assert created["clause_count"] >= 4
    assert created["token_count"] > 50
    assert reply.headers["location"].endswith(f"/api/contracts/{created['contract_id']}")

    got = await api.call("GET", f"/api/contracts/{created['contract_id']}")
    assert got.status == 200
    contract = got.json
    assert "user_id" not in contract
    titles = [c["title"] for c in contract["clauses"]]
    assert "Payment Terms" in titles
    for clause in contract["clauses"]:
        assert contract["text"][clause["start"] : clause["end"]] == clause["text"]


@pytest.mark.parametrize(
    "filename",
    ["nda_mutual_standard.md", "commercial_lease.docx", "nda_mutual_standard.pdf", "msa_standard.txt"],
)
async def test_upload_base64_files(api: Api, filename: str) -> None:
    reply = await upload_sample(api, filename)
    assert reply.status == 201, reply.body
    assert reply.json["clause_count"] >= 5
    contract = (await api.call("GET", f"/api/contracts/{reply.json['contract_id']}")).json
    assert contract["source_format"] == filename.rsplit(".", 1)[1]
    assert contract["filename"] == filename


async def test_list_shows_only_the_callers_contracts(api: Api) -> None:
    mine = await upload(api, "Mine")
    await upload(api, "Bob's", user="bob")
    reply = await api.call("GET", "/api/contracts", query="user_id=bob")  # query-string user_id is ignored
    assert reply.status == 200
    listed = reply.json["contracts"]
    assert [c["contract_id"] for c in listed] == [mine]
    assert {"title", "clause_count", "token_count", "char_count", "created_at"} <= set(listed[0])
    assert "text" not in listed[0]


async def test_another_users_contract_is_404_for_read_and_delete(api: Api) -> None:
    contract_id = await upload(api)
    for method in ("GET", "DELETE"):
        reply = await api.call(method, f"/api/contracts/{contract_id}", user="bob")
        assert reply.status == 404
        assert reply.error_code == "not_found"
    assert (await api.call("GET", f"/api/contracts/{contract_id}")).status == 200


async def test_delete_then_gone(api: Api) -> None:
    contract_id = await upload(api)
    assert (await api.call("DELETE", f"/api/contracts/{contract_id}")).status == 204
    assert (await api.call("GET", f"/api/contracts/{contract_id}")).status == 404
    assert (await api.call("DELETE", f"/api/contracts/{contract_id}")).status == 404


async def test_no_principal_is_401(api: Api) -> None:
    reply = await api.call("GET", "/api/contracts", user=None)
    assert reply.status == 401
    assert reply.json["error"]["code"] == "unauthenticated"
    assert "www-authenticate" in reply.headers


async def test_dev_user_is_assumed_locally_but_not_in_azure(api: Api, configure: Any, host_in: Any) -> None:
    configure(dev_user_id="dev-user")
    assert (
        await api.call("POST", "/api/contracts", json_body={"title": "t", "text": CONTRACT_TEXT}, user=None)
    ).status == 201
    host_in(Hosting.azure(easy_auth=True))
    assert (await api.call("GET", "/api/contracts", user=None)).status == 401


async def assert_nothing_created(api: Api) -> None:
    assert (await api.call("GET", "/api/contracts")).json["contracts"] == []


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"title": "x"}, 422, "invalid_request", "(body)"),
        ({"title": "", "text": "a"}, 422, "invalid_request", "title"),
        ({"title": "x", "text": 42}, 422, "invalid_request", "text"),
        ({"title": "x", "text": "a", "filename": "a.txt", "content_base64": "YQ=="}, 422, "invalid_request", None),
        ({"title": "x", "text": "a", "owner": "bob"}, 422, "invalid_request", "owner"),
        ({"title": "x", "text": "   \n  "}, 422, "invalid_document", None),
        ({"title": "x", "filename": "a.txt", "content_base64": "not*base64!"}, 422, "invalid_document", None),
        ({"title": "x", "filename": "a.exe", "content_base64": "YWJj"}, 422, "invalid_document", None),
        ([1, 2], 422, "invalid_request", None),
    ],
)
async def test_bad_uploads_are_rejected_and_create_nothing(
    api: Api, body: object, status: int, code: str, field: str | None
) -> None:
    reply = await api.call("POST", "/api/contracts", json_body=body)
    assert reply.status == status, reply.body
    error = reply.json["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]]
    await assert_nothing_created(api)


async def test_malformed_json_is_400(api: Api) -> None:
    reply = await api.call("POST", "/api/contracts", raw=b'{"title": "x", "text": ')
    assert reply.status == 400
    assert reply.error_code == "malformed_json"
    assert reply.json["error"]["details"]["line"] == 1
    await assert_nothing_created(api)


async def test_oversized_body_is_413_before_parsing(api: Api, configure: object) -> None:
    configure(max_request_bytes=200)  # type: ignore[operator]
    reply = await api.call("POST", "/api/contracts", raw=b"{" + b" " * 300)  # not even valid JSON: size comes first
    assert reply.status == 413
    assert reply.error_code == "payload_too_large"
    configure(max_request_bytes=10_000)  # type: ignore[operator]
    await assert_nothing_created(api)


async def test_oversized_document_is_413(api: Api, configure: object) -> None:
    configure(max_contract_bytes=1_000)  # type: ignore[operator]
    big = base64.b64encode(b"1. Term. " + b"x" * 5_000).decode()
    reply = await api.call(
        "POST", "/api/contracts", json_body={"title": "x", "filename": "a.txt", "content_base64": big}
    )
    assert reply.status == 413
    reply = await api.call("POST", "/api/contracts", json_body={"title": "x", "text": "y" * 2_000})
    assert reply.status == 413
    await assert_nothing_created(api)


async def test_list_limit_is_validated(api: Api) -> None:
    assert (await api.call("GET", "/api/contracts", query="limit=0")).status == 400
    assert (await api.call("GET", "/api/contracts", query="limit=abc")).status == 400


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


async def test_text_over_the_character_limit_is_a_413_naming_the_setting(api: Api, configure: object) -> None:
    configure(max_extracted_chars=1_000)  # type: ignore[operator]
    for body in (
        {"title": "x", "text": "word " * 300},
        {"title": "x", "filename": "a.md", "content_base64": b64(b"word " * 300)},
    ):
        reply = await api.call("POST", "/api/contracts", json_body=body)
        assert reply.status == 413 and reply.error_code == "document_too_large", reply.body
        assert "1,499 characters, over the 1,000 character limit" in reply.json["error"]["message"]
        assert reply.json["error"]["details"] == {"setting": "MAX_EXTRACTED_CHARS"}
    await assert_nothing_created(api)


async def test_a_docx_zip_bomb_is_a_413_and_a_list_numbered_from_ten_billion_is_read_short(api: Api) -> None:
    bomb = {"title": "x", "filename": "bomb.docx", "content_base64": b64(hostile.zip_bomb_docx(80 << 20))}
    reply = await api.call("POST", "/api/contracts", json_body=bomb)
    assert reply.status == 413 and reply.error_code == "document_too_large", reply.body
    assert "'bomb.docx': unzips to" in reply.json["error"]["message"]
    await assert_nothing_created(api)

    numbered = hostile.numbered_list_docx(10**10, "lowerRoman")
    listed = {"title": "List", "filename": "list.docx", "content_base64": b64(numbered)}
    created = await api.call("POST", "/api/contracts", json_body=listed)
    assert created.status == 201, created.body
    text = (await api.call("GET", f"/api/contracts/{created.json['contract_id']}")).json["text"]
    assert text == "10000000000. Item 0 of the list.\n\n10000000001. Item 1 of the list."


async def test_a_pdf_over_the_page_limit_is_a_413_and_an_unreadable_one_a_422(api: Api, configure: object) -> None:
    configure(max_pdf_pages=5)  # type: ignore[operator]
    pages = {"title": "x", "filename": "many.pdf", "content_base64": b64(hostile.many_pages_pdf(6))}
    reply = await api.call("POST", "/api/contracts", json_body=pages)
    assert reply.status == 413 and reply.error_code == "document_too_large", reply.body
    assert reply.json["error"]["message"] == "'many.pdf': has 6 pages, over the 5 page limit"
    broken = {"title": "x", "filename": "broken.pdf", "content_base64": b64(b"%PDF-1.7 nothing")}
    reply = await api.call("POST", "/api/contracts", json_body=broken)
    assert reply.status == 422 and reply.error_code == "invalid_document", reply.body
    await assert_nothing_created(api)
