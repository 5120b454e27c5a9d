"""The document repository contract (batch documents and their texts), against SQLite and Cosmos alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.documents.models import FolderSummary
from shared.errors import ConflictError, NotFoundError, ValidationFailed
from shared.storage.base import Repositories
from shared.storage.common import encode_continuation
from tests.shared.storage.helpers import BASE, COSMOS_ITEM_LIMIT, big_text, cosmos_items, make_document, make_text

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")


def test_document_add_get_and_conflict(repos: Repositories, user: str) -> None:
    document = make_document(user, "d1", folder="Vendors/2025", filename="Master Agreement.pdf", format="pdf")
    repos.documents.add(document)
    assert repos.documents.get(user, "d1") == document
    with pytest.raises(ConflictError, match="d1"):
        repos.documents.add(make_document(user, "d1", filename="other.txt"))
    assert repos.documents.get(user, "d1").filename == "Master Agreement.pdf"
    with pytest.raises(NotFoundError, match="nope"):
        repos.documents.get(user, "nope")


def test_another_users_documents_are_invisible(repos: Repositories, user: str, other_user: str) -> None:
    repos.documents.add(make_document(user, "d1"))
    repos.documents.put_text(make_text(user, "d1"))
    with pytest.raises(NotFoundError, match="d1"):
        repos.documents.get(other_user, "d1")
    with pytest.raises(NotFoundError, match="d1"):
        repos.documents.get_text(other_user, "d1")
    with pytest.raises(NotFoundError, match="d1"):
        repos.documents.delete(other_user, "d1")
    assert repos.documents.in_folders(other_user, ["Vendors"]) == []
    assert repos.documents.list_folder(other_user, "Vendors").items == []
    assert repos.documents.folders(other_user) == []
    # Nothing of the owner's went with the other user's attempts.
    assert repos.documents.get(user, "d1").document_id == "d1"
    assert repos.documents.get_text(user, "d1").text == "The term is one year."


def test_in_folders_takes_exact_folder_names_in_folder_filename_id_order(repos: Repositories, user: str) -> None:
    for document_id, folder, filename in [
        ("d5", "Vendors/2025", "b.txt"),
        ("d4", "Vendors", "z.txt"),
        ("d3", "Vendors", "a.txt"),
        ("d2", "Vendors", "a.txt"),  # the same filename: the id decides
        ("d1", "Customers", "a.txt"),
        ("d0", "vendors", "a.txt"),  # another folder: names are exact
    ]:
        repos.documents.add(make_document(user, document_id, folder, filename))
    found = repos.documents.in_folders(user, ["Vendors/2025", "Vendors"])
    assert [(d.folder, d.filename, d.document_id) for d in found] == [
        ("Vendors", "a.txt", "d2"),
        ("Vendors", "a.txt", "d3"),
        ("Vendors", "z.txt", "d4"),
        ("Vendors/2025", "b.txt", "d5"),
    ]
    assert [d.document_id for d in repos.documents.in_folders(user, ["Customers"])] == ["d1"]
    assert repos.documents.in_folders(user, ["Nowhere"]) == []
    assert repos.documents.in_folders(user, []) == []


def test_list_folder_pages_by_filename_then_id_with_equal_filenames(repos: Repositories, user: str) -> None:
    expected: list[str] = []
    for index in range(7):
        filename = "same.txt" if index < 4 else f"z{index}.txt"
        repos.documents.add(
            make_document(user, f"d{index}", "Vendors", filename, created_at=BASE + timedelta(days=-index))
        )
        expected.append(f"d{index}")
    repos.documents.add(make_document(user, "elsewhere", "Customers", "a.txt"))
    seen: list[str] = []
    page = repos.documents.list_folder(user, "Vendors", limit=3)
    pages = 1
    seen += [d.document_id for d in page.items]
    while page.continuation:
        page = repos.documents.list_folder(user, "Vendors", limit=3, continuation=page.continuation)
        seen += [d.document_id for d in page.items]
        pages += 1
    assert seen == expected  # same.txt d0..d3, then z4..z6: nothing skipped or repeated
    assert pages == 3
    assert repos.documents.list_folder(user, "Vendors", limit=7).continuation is None


def test_list_folder_rejects_garbage_and_foreign_continuations(repos: Repositories, user: str) -> None:
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.documents.list_folder(user, "Vendors", continuation="not-a-token")
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.documents.list_folder(user, "Vendors", continuation=encode_continuation("only one key"))
    with pytest.raises(ValidationFailed, match="limit"):
        repos.documents.list_folder(user, "Vendors", limit=0)


def test_folders_are_counted_and_ordered_by_name(repos: Repositories, user: str, other_user: str) -> None:
    assert repos.documents.folders(user) == []
    for index, folder in enumerate(["Vendors", "Customers", "Vendors/2025", "Vendors", "Customers", "Vendors"]):
        repos.documents.add(make_document(user, f"d{index}", folder, f"{index}.txt"))
    repos.documents.add(make_document(other_user, "x", "Secret"))
    assert repos.documents.folders(user) == [
        FolderSummary(folder="Customers", document_count=2),
        FolderSummary(folder="Vendors", document_count=3),
        FolderSummary(folder="Vendors/2025", document_count=1),
    ]
    repos.documents.delete(user, "d2")
    assert [f.folder for f in repos.documents.folders(user)] == ["Customers", "Vendors"]


def test_documents_are_counted_in_one_exact_folder(repos: Repositories, user: str, other_user: str) -> None:
    assert repos.documents.count_in_folder(user, "Vendors") == 0
    for index, folder in enumerate(["Vendors", "Vendors/2025", "Vendors", "vendors"]):
        repos.documents.add(make_document(user, f"d{index}", folder, f"{index}.txt"))
    repos.documents.add(make_document(other_user, "x", "Vendors"))
    assert repos.documents.count_in_folder(user, "Vendors") == 2  # not the subfolder, not another case
    assert repos.documents.count_in_folder(user, "Vendors/2025") == 1
    assert repos.documents.count_in_folder(other_user, "Vendors") == 1
    repos.documents.delete(user, "d0")
    assert repos.documents.count_in_folder(user, "Vendors") == 1


def test_text_put_is_an_upsert_and_a_missing_text_is_not_found(repos: Repositories, user: str) -> None:
    repos.documents.add(make_document(user, "d1"))
    with pytest.raises(NotFoundError, match="d1"):
        repos.documents.get_text(user, "d1")
    repos.documents.put_text(make_text(user, "d1", "first"))
    repos.documents.put_text(make_text(user, "d1", "second"))
    assert repos.documents.get_text(user, "d1") == make_text(user, "d1", "second")


def test_delete_removes_the_document_and_its_text(repos: Repositories, user: str) -> None:
    repos.documents.add(make_document(user, "d1"))
    repos.documents.add(make_document(user, "d2", filename="b.txt"))
    repos.documents.put_text(make_text(user, "d1", big_text(2.5)))  # chunked in Cosmos: the chunks go too
    repos.documents.put_text(make_text(user, "d2"))
    repos.documents.delete(user, "d1")
    with pytest.raises(NotFoundError):
        repos.documents.get(user, "d1")
    with pytest.raises(NotFoundError):
        repos.documents.get_text(user, "d1")
    with pytest.raises(NotFoundError):
        repos.documents.delete(user, "d1")
    assert repos.documents.get_text(user, "d2").text == "The term is one year."
    assert [d.document_id for d in repos.documents.list_folder(user, "Vendors").items] == ["d2"]
    if repos.backend == "cosmos":
        assert [item["id"] for item in cosmos_items(repos.documents.texts, user)] == ["d2"]  # type: ignore[attr-defined]
    repos.documents.add(make_document(user, "d1"))  # the id is free again, without a text
    with pytest.raises(NotFoundError):
        repos.documents.get_text(user, "d1")


def test_a_text_over_two_megabytes_round_trips_exactly(repos: Repositories, user: str) -> None:
    text = big_text(4.5) + '\u0000 end \\ "quoted" \U0001f600'
    repos.documents.add(make_document(user, "big"))
    repos.documents.put_text(make_text(user, "big", text))
    loaded = repos.documents.get_text(user, "big")
    assert loaded.text == text
    assert loaded == make_text(user, "big", text)
    if repos.backend == "cosmos":
        items = cosmos_items(repos.documents.texts, user)  # type: ignore[attr-defined]
        assert len(items) >= 4  # head + chunks
        assert all(len(json.dumps(item).encode()) < COSMOS_ITEM_LIMIT for item in items)
    repos.documents.put_text(make_text(user, "big", "short now"))
    assert repos.documents.get_text(user, "big").text == "short now"
    if repos.backend == "cosmos":
        assert len(cosmos_items(repos.documents.texts, user)) == 1  # type: ignore[attr-defined]


def test_ids_cosmos_cannot_hold_are_refused_on_add_and_not_found_on_read(repos: Repositories, user: str) -> None:
    for bad in ("a/b", "a#b", "a?b", "a\\b", "x" * 256):
        with pytest.raises(ValidationFailed, match="document_id"):
            repos.documents.add(make_document(user, bad))
        with pytest.raises(NotFoundError):
            repos.documents.get(user, bad)
        with pytest.raises(NotFoundError):
            repos.documents.get_text(user, bad)
        with pytest.raises(NotFoundError):
            repos.documents.delete(user, bad)
    assert repos.documents.folders(user) == []
