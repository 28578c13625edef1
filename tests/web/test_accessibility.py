"""The accessibility audit's findings in the markup: what a screen reader is told about
errors, headings, landmarks and counts, and what each page is called."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from flask.testing import FlaskClient

from trainerpath.models import Enrollment, EvidenceBase

from .conftest import Cast, log_in, page, roster_corrected, roster_rejected
from .dom import Node

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def test_a_refused_csv_upload_ties_its_message_to_the_file_field(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    refused = client.post(
        "/evidence/teaching-sessions/import",
        data={"date_order": "dmy"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    html = page(refused)
    field = html.by_id("import-file")
    assert field.get("aria-invalid") == "true"
    described = field.get("aria-describedby")
    assert described and html.by_id(described).text == "! Choose a CSV file to preview."


def skipped_heading_levels(html: Node) -> list[str]:
    """Each heading more than one level below the heading before it, with that heading."""
    levels = [(int(node.tag[1]), node.text) for node in html.iter() if node.tag in HEADINGS]
    return [
        f"h{before} {above!r} → h{level} {text!r}"
        for (before, above), (level, text) in itertools.pairwise(levels)
        if level > before + 1
    ]


def test_a_review_history_heading_follows_the_heading_it_comes_under(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., EvidenceBase]
) -> None:
    item = make_evidence(cast.candidate, "teaching-sessions", status="pending", students=12)
    roster_rejected(client, cast, item)
    edit = f"/evidence/teaching-sessions/{item.id}/edit"
    assert client.post(edit, data=roster_corrected(item)).status_code == 303
    form = page(client.get(edit))
    assert form.by_id("evidence-form-history").tag == "h3"  # under the form's h2
    assert skipped_heading_levels(form) == []
    client.post("/logout")

    log_in(client, cast.mentor)
    listed = page(
        client.get(f"/mentor/candidates/{cast.candidate.id}/evidence?kind=teaching-sessions")
    )
    assert listed.by_id(f"item-teaching-sessions-{item.id}-history").tag == "h3"
    assert skipped_heading_levels(listed) == []
    queue = page(client.get("/mentor/reviews"))
    assert queue.by_id(f"review-teaching-sessions-{item.id}-history").tag == "h4"  # under h3
    assert skipped_heading_levels(queue) == []


LANDMARK_TAGS = {"main": "main", "nav": "navigation", "aside": "complementary", "search": "search"}
NAMED_LANDMARK_TAGS = {"section": "region", "form": "form"}  # landmarks only when named


def landmarks(html: Node) -> list[tuple[str, str]]:
    """Each landmark's role and accessible name (from aria-labelledby or aria-label)."""
    found = []
    for node in html.iter():
        labelled_by = node.get("aria-labelledby")
        name = (
            " ".join(html.by_id(ref).text for ref in labelled_by.split())
            if labelled_by
            else node.get("aria-label") or ""
        )
        role = node.get("role") or LANDMARK_TAGS.get(node.tag)
        if role is None and name:
            role = NAMED_LANDMARK_TAGS.get(node.tag)
        if role in {"main", "navigation", "complementary", "region", "form", "search"}:
            found.append((role, name))
    return found


def repeated(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted({pair for pair in pairs if pairs.count(pair) > 1})


def test_landmarks_of_two_pathways_and_of_review_histories_have_names_of_their_own(
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    make_enrollment(cast.candidate, "cst")
    make_enrollment(cast.candidate, "pst")
    items = [make_evidence(cast.candidate, "milestones", status="pending") for _ in range(2)]
    log_in(client, cast.mentor)
    for item in items:
        client.post(
            f"/mentor/reviews/milestones/{item.id}", data={"decision": "rejected", "note": "No."}
        )
    client.post("/logout")
    log_in(client, cast.candidate)
    dashboard = landmarks(page(client.get("/candidate")))
    assert ("region", "What's next in Certified Scrum Trainer") in dashboard
    assert repeated(dashboard) == []
    client.post("/logout")

    log_in(client, cast.mentor)
    for path in (
        f"/mentor/candidates/{cast.candidate.id}",
        f"/mentor/candidates/{cast.candidate.id}/evidence?kind=milestones",
    ):
        assert repeated(landmarks(page(client.get(path)))) == [], path
    client.post("/logout")

    log_in(client, cast.admin)
    reviews = landmarks(page(client.get("/mentor/reviews")))
    assert ("region", "Turnaround by mentor") in reviews
    assert repeated(reviews) == []


# Elements whose role (generic, paragraph, code...) may not be named by aria-label.
UNNAMEABLE = {"span", "div", "p", "pre", "code", "strong", "em", "small", "b", "i"}


def misplaced_labels(html: Node) -> list[str]:
    """Elements carrying an aria-label their role does not allow (axe's
    aria-prohibited-attr): a screen reader reads their text and drops the label."""
    return [
        f"<{node.tag} aria-label={node.get('aria-label')!r}>"
        for node in html.iter()
        if node.tag in UNNAMEABLE and node.get("aria-label") and not node.get("role")
    ]


def current_tab(html: Node) -> str:
    """What a screen reader reads of the evidence tab of the page shown."""
    tabs = html.find("nav", aria_label="Kinds of evidence")
    assert tabs is not None
    tab = tabs.find("a", aria_current="page")
    assert tab is not None
    return tab.text


def test_counts_and_code_examples_are_named_where_names_are_allowed(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(cast.candidate, "milestones", status="pending")
    log_in(client, cast.candidate)
    html = page(client.get("/evidence/milestones"))
    assert misplaced_labels(html) == []
    assert current_tab(html) == "Milestones 1 item"  # the count, and what it counts, is read
    client.post("/logout")

    log_in(client, cast.mentor)
    html = page(client.get(f"/mentor/candidates/{cast.candidate.id}/evidence?kind=milestones"))
    assert misplaced_labels(html) == []
    assert current_tab(html) == "Milestones 1 item"

    docs = page(client.get("/api/v1/docs"))
    assert misplaced_labels(docs) == []
    examples = docs.find_all("pre", tabindex="0")
    assert examples and all(pre.get("role") == "region" for pre in examples)
    assert repeated(landmarks(docs)) == []


def test_an_edit_page_is_titled_after_the_item_it_edits(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., EvidenceBase]
) -> None:
    pending = make_evidence(
        cast.candidate, "teaching-sessions", status="pending", title="CSM Leeds"
    )
    rejected = make_evidence(
        cast.candidate, "teaching-sessions", status="rejected", title="CSPO York"
    )
    log_in(client, cast.candidate)

    def title(path: str) -> str:
        found = page(client.get(path)).find("title")
        assert found is not None
        return found.text

    assert title("/evidence/teaching-sessions") == "Teaching sessions · Your evidence · trainerpath"
    edit = title(f"/evidence/teaching-sessions/{pending.id}/edit")
    assert edit.startswith("Edit: CSM Leeds")
    assert edit.endswith(" · Teaching sessions · Your evidence · trainerpath")
    correct = title(f"/evidence/teaching-sessions/{rejected.id}/edit")
    assert correct.startswith("Correct: CSPO York")
