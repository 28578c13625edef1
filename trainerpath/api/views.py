"""The operations of api.md: thin views over the services and queries.

Each view checks in the contract's order: the token (401), that the resource is
visible to the caller (404), the body (400, then 422), and leaves role, state, note
and guards to the service, which checks them in that order. It commits once.
"""

from __future__ import annotations

from flask import Response, current_app, request

from trainerpath import clock, queries
from trainerpath.dashboards.dossier import dossier_for
from trainerpath.db import get_session
from trainerpath.models import Mentorship, Role, User, utcnow
from trainerpath.paging import PageRequest
from trainerpath.pathways import CURRENT, rulesets_of
from trainerpath.pdf import dossier_response
from trainerpath.services import evidence as evidence_service
from trainerpath.services import notifications, password_links, pathways, tokens, users
from trainerpath.services.access import visible_candidate
from trainerpath.services.errors import Forbidden, NotFound, ValidationFailed
from trainerpath.services.evidence_kinds import KINDS

from . import schemas
from .auth import caller, caller_token, log_in, viewer
from .blueprint import registry
from .inputs import pagination, read_body, read_raw_body
from .present import (
    enrollment_out,
    enrollment_summary,
    export_out,
    item_out,
    no_content,
    notification_out,
    page_of,
    page_out,
    respond,
    ruleset_out,
    user_out,
)

CANDIDATE_ID = {"candidate_id": "The candidate's user id."}
Links = dict[str, tuple[str, dict[str, str]]]


def candidate_links(expression: str) -> Links:
    """OpenAPI links from a response holding a candidate's id to the candidate's operations."""
    targets = ["get_candidate", "export_candidate", "create_enrollment"]
    for slug in KINDS:
        targets += [f"list_{slug.replace('-', '_')}", f"add_{slug.replace('-', '_')}"]
    return {target: (target, {"candidate_id": expression}) for target in targets}


def enrollment_links(expression: str) -> Links:
    """OpenAPI links from a response holding an enrollment's id."""
    return {
        target: (target, {"enrollment_id": expression})
        for target in ("get_enrollment", "fire_transition", "switch_ruleset")
    }


def _enrollment_response(enrollment_id: int | None, status: int = 200) -> Response:
    session = get_session()
    assert enrollment_id is not None
    described = pathways.visible_enrollment_status(session, viewer(), enrollment_id)
    return respond(schemas.Enrollment, enrollment_out(described), status)


# -- authentication -----------------------------------------------------------------


@registry.route(
    "POST",
    "/tokens",
    public=True,
    tag="Authentication",
    summary="Exchange an e-mail address and password for a token",
    body=schemas.TokenRequest,
    responses={201: schemas.Token},
    errors=(400, 401, 422, 429),
)
def create_token() -> Response:
    """Issue a random bearer token, shown once and stored only as a hash.

    It expires after the configured number of days (30 unless changed). Wrong
    credentials, or a deactivated account, get 401 with no hint which was wrong.
    Repeated failures, counted with the web login's, get 429 with `Retry-After`.
    """
    body = read_body(schemas.TokenRequest)
    session = get_session()
    user = log_in(body.email, body.password)
    issued = tokens.issue_token(
        session=session, user=user, ttl_days=current_app.config["TOKEN_TTL_DAYS"]
    )
    session.commit()
    return respond(
        schemas.Token, {"token": issued.token, "expires_at": issued.record.expires_at}, 201
    )


@registry.route(
    "DELETE",
    "/tokens/current",
    tag="Authentication",
    summary="Revoke the token of this request",
    responses={204: None},
)
def revoke_current_token() -> Response:
    """Revoke the token used for this call; it stops working at once."""
    session = get_session()
    tokens.revoke_token(session=session, token=caller_token())
    session.commit()
    return no_content()


@registry.route(
    "GET",
    "/me",
    tag="Authentication",
    summary="Who am I",
    responses={200: schemas.User},
    links=candidate_links("$response.body#/id"),
)
def me() -> Response:
    """The caller's id, e-mail address, name and role."""
    return respond(schemas.User, user_out(caller()))


# -- users and mentorships ----------------------------------------------------------


@registry.route(
    "POST",
    "/users",
    tag="Users",
    summary="Create a user (admins)",
    body=schemas.UserCreate,
    responses={201: schemas.User},
    errors=(400, 403, 409, 422),
    links=candidate_links("$response.body#/id"),
)
def create_user() -> Response:
    """Create a candidate, mentor or admin; an e-mail address already taken is 409.

    With `"invite": true` and no password, the user gets an e-mail with a link to choose
    their own password and cannot log in until they do.
    """
    body = read_body(schemas.UserCreate)
    if viewer().role != Role.ADMIN:
        raise Forbidden("Only an admin can create users.")
    session = get_session()
    if body.invite:
        user = password_links.invite_user(
            session=session,
            actor=caller(),
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password,
        )
    else:
        user = users.create_user(
            session=session,
            email=body.email,
            name=body.name,
            password=body.password or "",
            role=body.role,
            actor=caller(),
        )
    session.commit()
    return respond(schemas.User, user_out(user), 201)


@registry.route(
    "POST",
    "/mentorships",
    tag="Mentorships",
    summary="Assign a mentor to a candidate (admins)",
    body=schemas.MentorshipCreate,
    responses={201: schemas.Mentorship},
    errors=(400, 403, 409, 422),
    links={
        "end_mentorship": ("end_mentorship", {"mentorship_id": "$response.body#/id"}),
        **candidate_links("$response.body#/candidate_id"),
    },
)
def create_mentorship() -> Response:
    """Start a mentorship. A user of the wrong role is 422; an active duplicate is 409.

    A candidate may have several mentors.
    """
    body = read_body(schemas.MentorshipCreate)
    session = get_session()
    mentorship = users.assign_mentor(
        session=session,
        actor=caller(),
        mentor_id=body.mentor_id,
        candidate_id=body.candidate_id,
    )
    session.commit()
    return respond(
        schemas.Mentorship,
        {
            "id": mentorship.id,
            "mentor_id": mentorship.mentor_id,
            "candidate_id": mentorship.candidate_id,
            "started_at": mentorship.started_at,
        },
        201,
    )


@registry.route(
    "DELETE",
    "/mentorships/{mentorship_id}",
    tag="Mentorships",
    summary="End a mentorship (admins)",
    responses={204: None},
    errors=(403, 404),
    parameters={"mentorship_id": "The mentorship's id."},
)
def end_mentorship(mentorship_id: int) -> Response:
    """End an active mentorship: the mentor loses access to the candidate at once."""
    session = get_session()
    user = viewer()
    mentorship = session.get(Mentorship, mentorship_id)
    # Only an admin or one of the two people in it may know the mentorship exists.
    if (
        mentorship is None
        or mentorship.ended_at is not None
        or (
            user.role != Role.ADMIN
            and user.id not in (mentorship.mentor_id, mentorship.candidate_id)
        )
    ):
        raise NotFound("No such active mentorship.")
    users.end_mentorship(session=session, actor=caller(), mentorship_id=mentorship_id)
    session.commit()
    return no_content()


# -- candidates ---------------------------------------------------------------------


@registry.route(
    "GET",
    "/candidates",
    tag="Candidates",
    summary="List the candidates visible to the caller (mentors, admins)",
    responses={200: schemas.CandidatePage},
    errors=(403, 422),
    paginated=True,
    links=candidate_links("$response.body#/items/0/id"),
)
def list_candidates() -> Response:
    """A mentor sees the candidates assigned to them; an admin sees all. Newest first."""
    page, per_page = pagination()
    user = viewer()
    if user.role == Role.CANDIDATE:
        raise Forbidden("Only mentors and admins can list candidates.")
    session = get_session()
    found = queries.visible_candidates(session, user, page=page, per_page=per_page)
    ids = [candidate.id for candidate in found.items if candidate.id is not None]
    enrollments = queries.enrollments_by_candidate(session, ids)
    pending = queries.pending_review_counts(session, ids)
    items = [
        {
            "id": candidate.id,
            "name": candidate.name,
            "email": candidate.email,
            "enrollments": [enrollment_summary(e) for e in enrollments[candidate.id]],
            "pending_reviews": pending[candidate.id],
        }
        for candidate in found.items
        if candidate.id is not None
    ]
    return respond(schemas.CandidatePage, page_out(found, items))


@registry.route(
    "GET",
    "/candidates/{candidate_id}",
    tag="Candidates",
    summary="One candidate: evidence counts and enrollments",
    responses={200: schemas.CandidateDetail},
    errors=(404,),
    parameters=CANDIDATE_ID,
    links=enrollment_links("$response.body#/enrollments/0/id"),
)
def get_candidate(candidate_id: int) -> Response:
    """The candidate themself, their mentors and admins may look; others get 404."""
    session = get_session()
    candidate = visible_candidate(session, viewer(), candidate_id)
    return respond(
        schemas.CandidateDetail,
        {
            "id": candidate.id,
            "name": candidate.name,
            "email": candidate.email,
            "evidence": queries.evidence_counts(session, candidate_id),
            "enrollments": [
                enrollment_summary(e) for e in queries.enrollments_of(session, candidate_id)
            ],
        },
    )


@registry.route(
    "GET",
    "/candidates/{candidate_id}/export",
    tag="Candidates",
    summary="Export the candidate's whole record",
    responses={200: schemas.Export},
    errors=(404,),
    parameters=CANDIDATE_ID,
)
def export_candidate(candidate_id: int) -> Response:
    """Profile, every evidence item with its review, every enrollment with its ruleset
    and full history, mentorships and feedback: one JSON document."""
    session = get_session()
    candidate: User = visible_candidate(session, viewer(), candidate_id)
    record = queries.candidate_export(session, candidate)
    return respond(schemas.Export, export_out(record, utcnow()))


# -- evidence: the same five operations for every kind ------------------------------


def _register_evidence(slug: str) -> None:
    """Declare the list, add, change, delete and review operations of one kind."""
    models = schemas.EVIDENCE[slug]
    kind = models.kind
    noun = kind.label.lower()
    endpoint = slug.replace("-", "_")
    item_id = {"item_id": f"The {noun}'s id."}

    def list_items(candidate_id: int) -> Response:
        session = get_session()
        visible_candidate(session, viewer(), candidate_id)
        page, per_page = pagination()
        found = queries.evidence_page(session, slug, candidate_id, page, per_page)
        return respond(models.page, page_out(found, [item_out(slug, item) for item in found.items]))

    def add_item(candidate_id: int) -> Response:
        session = get_session()
        visible_candidate(session, viewer(), candidate_id)
        data = read_raw_body(models.create)
        item = evidence_service.log_evidence(
            session=session, actor=caller(), candidate_id=candidate_id, kind=slug, data=data
        )
        session.commit()
        return respond(models.item, item_out(slug, item), 201)

    def change_item(item_id: int) -> Response:
        session = get_session()
        evidence_service.visible_item(session, viewer(), slug, item_id)
        changes = read_raw_body(models.patch)
        item = evidence_service.correct_evidence(
            session=session, actor=caller(), kind=slug, item_id=item_id, changes=changes
        )
        session.commit()
        return respond(models.item, item_out(slug, item))

    def delete_item(item_id: int) -> Response:
        session = get_session()
        evidence_service.delete_evidence(
            session=session, actor=caller(), kind=slug, item_id=item_id
        )
        session.commit()
        return no_content()

    def review_item(item_id: int) -> Response:
        session = get_session()
        evidence_service.visible_item(session, viewer(), slug, item_id)
        body = read_body(schemas.ReviewRequest)
        item = evidence_service.review_evidence(
            session=session,
            actor=caller(),
            kind=slug,
            item_id=item_id,
            decision=body.decision,
            note=body.note,
        )
        session.commit()
        return respond(models.item, item_out(slug, item))

    registry.route(
        "GET",
        f"/candidates/{{candidate_id}}/{slug}",
        endpoint=f"list_{endpoint}",
        tag="Evidence",
        summary=f"List the candidate's {kind.plural.lower()}",
        description="Paginated, newest first. Anyone who may see the candidate may list.",
        responses={200: models.page},
        errors=(404, 422),
        paginated=True,
        parameters=CANDIDATE_ID,
    )(list_items)
    registry.route(
        "POST",
        f"/candidates/{{candidate_id}}/{slug}",
        endpoint=f"add_{endpoint}",
        tag="Evidence",
        summary=f"Log a {noun} (the candidate)",
        description=(
            f"Adds a {noun} to the caller's own record, pending review. Only the "
            "candidate may log evidence: a mentor or admin gets 403."
        ),
        body=models.create,
        responses={201: models.item},
        errors=(400, 403, 404, 422),
        parameters=CANDIDATE_ID,
        links={
            f"{verb}_{endpoint}": (f"{verb}_{endpoint}", {"item_id": "$response.body#/id"})
            for verb in ("change", "delete", "review")
        },
    )(add_item)
    registry.route(
        "PATCH",
        f"/evidence/{slug}/{{item_id}}",
        endpoint=f"change_{endpoint}",
        tag="Evidence",
        summary=f"Change a pending or rejected {noun} (the candidate)",
        description=(
            "Merges the partial body into the item and validates the whole item again. "
            "Editing a rejected item sets it back to pending; a verified item is 409."
        ),
        body=models.patch,
        responses={200: models.item},
        errors=(400, 403, 404, 409, 422),
        parameters=item_id,
    )(change_item)
    registry.route(
        "DELETE",
        f"/evidence/{slug}/{{item_id}}",
        endpoint=f"delete_{endpoint}",
        tag="Evidence",
        summary=f"Delete a pending or rejected {noun} (the candidate)",
        description="A verified item can no longer be deleted: 409.",
        responses={204: None},
        errors=(403, 404, 409),
        parameters=item_id,
    )(delete_item)
    registry.route(
        "POST",
        f"/evidence/{slug}/{{item_id}}/review",
        endpoint=f"review_{endpoint}",
        tag="Evidence",
        summary=f"Verify or reject a pending {noun} (the candidate's mentor, admins)",
        description=(
            "Only pending items can be reviewed (409 otherwise); rejecting needs a "
            'non-blank note, else 422 with `{"note": "required"}`.'
        ),
        body=schemas.ReviewRequest,
        responses={200: models.item},
        errors=(400, 403, 404, 409, 422),
        parameters=item_id,
    )(review_item)


for _slug in KINDS:
    _register_evidence(_slug)


# -- enrollments --------------------------------------------------------------------


@registry.route(
    "POST",
    "/candidates/{candidate_id}/enrollments",
    tag="Enrollments",
    summary="Enrol the candidate in a pathway (the candidate, admins)",
    body=schemas.EnrollmentCreate,
    responses={201: schemas.Enrollment},
    errors=(400, 403, 404, 409, 422),
    parameters=CANDIDATE_ID,
    links=enrollment_links("$response.body#/id"),
)
def create_enrollment(candidate_id: int) -> Response:
    """Start `cst` or `pst` under the pathway's current ruleset, or under the `ruleset` asked
    for, with its `track` if it has tracks. A ruleset of another pathway, or a track for a
    ruleset without tracks, is 422; a second enrollment in a pathway is 409."""
    session = get_session()
    visible_candidate(session, viewer(), candidate_id)
    body = read_body(schemas.EnrollmentCreate)
    enrollment = pathways.enrol(
        session=session,
        actor=caller(),
        candidate_id=candidate_id,
        pathway=body.pathway,
        ruleset=body.ruleset,
        track=body.track,
    )
    session.commit()
    return _enrollment_response(enrollment.id, 201)


@registry.route(
    "GET",
    "/enrollments/{enrollment_id}",
    tag="Enrollments",
    summary="An enrollment: requirements, events and history",
    responses={200: schemas.Enrollment},
    errors=(404,),
    parameters={"enrollment_id": "The enrollment's id."},
)
def get_enrollment(enrollment_id: int) -> Response:
    """The requirements of the guards leaving the current state, every event of the state
    as the caller sees it (allowed, or the reasons why not), and the history, oldest first."""
    return _enrollment_response(enrollment_id)


PDF_CONTENT = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@registry.route(
    "GET",
    "/enrollments/{enrollment_id}/dossier.pdf",
    tag="Enrollments",
    summary="The enrollment's application dossier as PDF",
    responses={200: PDF_CONTENT},
    errors=(404,),
    parameters={"enrollment_id": "The enrollment's id."},
)
def get_dossier_pdf(enrollment_id: int) -> Response:
    """`application/pdf`, `Content-Disposition: inline`, in any state: the candidate, the
    ruleset, the date; each requirement met or not with the verified evidence that meets
    it (for CST rulesets the co-training log: date, course, days, students, co-trainer,
    share delivered, reflection); assessments, credentials, the experience timeline; who
    verified each item and when; what is still unmet."""
    # Imported here: the web package imports the API's error handlers at its start.
    from trainerpath.web.zones import read_times_in

    reader = caller()
    found = dossier_for(get_session(), reader, enrollment_id)
    read_times_in(reader.time_zone)  # as the same reader's page and PDF on the web
    return dossier_response(found)


@registry.route(
    "POST",
    "/enrollments/{enrollment_id}/transitions",
    tag="Enrollments",
    summary="Fire an event",
    body=schemas.TransitionRequest,
    responses={200: schemas.Enrollment},
    errors=(400, 403, 404, 409, 422),
    parameters={"enrollment_id": "The enrollment's id."},
    links=enrollment_links("$response.body#/id"),
)
def fire_transition(enrollment_id: int) -> Response:
    """Refusals, in this order: an unknown event is 422 `{"event": "unknown"}`; a role
    that may never fire it is 403; an event not of the current state is 409
    `invalid_state`; a missing note is 422 `{"note": "required"}`; unmet guards are 409
    `guard_unmet` with the unmet requirement keys and objects in `details`."""
    session = get_session()
    enrollment = pathways.visible_enrollment(session, viewer(), enrollment_id)
    body = read_body(schemas.TransitionRequest)
    pathways.fire_event(
        session=session, enrollment=enrollment, event=body.event, actor=caller(), note=body.note
    )
    session.commit()
    return _enrollment_response(enrollment_id)


@registry.route(
    "POST",
    "/enrollments/{enrollment_id}/ruleset",
    tag="Enrollments",
    summary="Switch to another ruleset or track of the pathway (the candidate, admins)",
    body=schemas.RulesetSwitchRequest,
    responses={200: schemas.Enrollment},
    errors=(400, 403, 404, 409, 422),
    parameters={"enrollment_id": "The enrollment's id."},
    links=enrollment_links("$response.body#/id"),
)
def switch_ruleset(enrollment_id: int) -> Response:
    """Only while `preparing`. Writes one `switch_ruleset` history row whose note names both
    rulesets (or both tracks) and changes nothing else. Refusals, in this order: a ruleset
    of another pathway, an unknown one or a track it does not have is 422; a mentor is 403;
    any state but `preparing` is 409 `invalid_state`; the same ruleset and track is 422
    `{"ruleset": "unchanged"}`."""
    session = get_session()
    enrollment = pathways.visible_enrollment(session, viewer(), enrollment_id)
    body = read_body(schemas.RulesetSwitchRequest)
    pathways.switch_ruleset(
        session=session,
        actor=caller(),
        enrollment=enrollment,
        ruleset=body.ruleset,
        track=body.track,
    )
    session.commit()
    return _enrollment_response(enrollment_id)


# -- rulesets -----------------------------------------------------------------------


@registry.route(
    "GET",
    "/rulesets",
    tag="Rulesets",
    summary="Every ruleset of every pathway",
    responses={200: schemas.RulesetPage},
    errors=(422,),
    paginated=True,
)
def list_rulesets() -> Response:
    """Each pathway's current ruleset first, then its older ones; all fit on the first page.
    Each lists its tracks, states, events (one row per `from` state) and requirements with
    their windows as they stand today."""
    page, per_page = pagination()
    everything = [ruleset for pathway in CURRENT for ruleset in rulesets_of(pathway)]
    found = page_of(everything, page, per_page)
    today = clock.today()
    return respond(
        schemas.RulesetPage, page_out(found, [ruleset_out(r, today) for r in found.items])
    )


# -- notifications ------------------------------------------------------------------

UNREAD = {
    "description": "`true`: unread notifications only; `false` (the default): all.",
    "schema": {"type": "boolean", "default": False},
}


def _unread_only() -> bool:
    """Read ``?unread=`` (true or false), or refuse with 422."""
    value = request.args.get("unread", "false")
    if value not in ("true", "false"):
        raise ValidationFailed({"unread": "must be true or false"})
    return value == "true"


@registry.route(
    "GET",
    "/notifications",
    tag="Notifications",
    summary="The caller's notifications",
    responses={200: schemas.NotificationPage},
    errors=(422,),
    paginated=True,
    query={"unread": UNREAD},
)
def list_notifications() -> Response:
    """Only the caller's own, newest first (by `updated_at`: a counted notification moves
    up when another item is counted). `?unread=true` lists the unread ones only."""
    page, per_page = pagination()
    unread_only = _unread_only()
    found = notifications.notifications_page(
        get_session(), caller(), PageRequest(page, per_page), unread_only
    )
    items = [notification_out(notification) for notification in found.items]
    return respond(schemas.NotificationPage, page_out(found, items))


@registry.route(
    "POST",
    "/notifications/{notification_id}/read",
    tag="Notifications",
    summary="Mark one notification read",
    responses={204: None},
    errors=(404,),
    parameters={"notification_id": "The notification's id."},
)
def read_notification(notification_id: int) -> Response:
    """Idempotent: the first `read_at` is kept. Someone else's notification is 404."""
    session = get_session()
    notifications.mark_read(session, user=caller(), notification_id=notification_id)
    session.commit()
    return no_content()


@registry.route(
    "POST",
    "/notifications/read-all",
    tag="Notifications",
    summary="Mark all of the caller's notifications read",
    responses={204: None},
)
def read_all_notifications() -> Response:
    """Marks every unread notification of the caller's read; idempotent."""
    session = get_session()
    notifications.mark_all_read(session, user=caller())
    session.commit()
    return no_content()
