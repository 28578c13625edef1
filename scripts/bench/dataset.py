"""The bench data: the demo, then candidates loaded through the real services."""

from __future__ import annotations

import math
import random
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.demo import DEMO_DOMAIN, DEMO_PASSWORD, seed
from trainerpath.models import (
    EVIDENCE_MODELS,
    AuditEntry,
    Enrollment,
    ReviewStatus,
    Role,
    TransitionRecord,
    User,
)
from trainerpath.services.errors import GuardUnmet
from trainerpath.services.evidence import log_evidence, review_evidence
from trainerpath.services.pathways import enrol, fire_event
from trainerpath.services.users import assign_mentor, create_user, find_user_by_email

PASSWORD = "benchmark-password"
DOMAIN = "bench.trainerpath.test"
MAIN_MENTEES = 50  # the busy mentor's candidates
OTHER_MENTEES = 25  # every other bench mentor's
SMALL_MENTEES = 3  # the small mentor's, to compare with the busy one
# Bench candidates with a part to play: a heavy and a light one on cst@1 + pst@1, a
# heavy and a light one on cst@2 (ScrumMaster track) + pst@2, and one on the cst@2
# Product Owner track. The small mentor's three (1 to 3) hold every ruleset and track
# the busy mentor's table holds, so the two tables' statement counts compare.
HEAVY, LIGHT, LIGHT_2024, PO_TRACK, HEAVY_2024 = range(5)
FEWEST_ITEMS = 25  # 15 guaranteed, then one pending and one rejected of every kind
HEAVY_ITEMS = 300  # the heavy candidates' items, unless load() is told otherwise

TITLES = (
    "Certified ScrumMaster (CSM)",
    "Scrum Fundamentals for Teams",
    "ScrumMaster Skills Lab",
    "Product Ownership Essentials",
    "Backlog Refinement Workshop",
    "Scrum for Leaders",
)
PLACES = ("Leeds", "London", "Berlin", "Online (Zoom)", "Milan", "Kraków", "Dublin", None)
ORGANISATIONS = ("Harbour Bank", "Fjord Software", "Kestrel Telecom", "Aurora Games", "Acme")
CO_TRAINERS = ("Rebecca Hart, CST", "Jonas Weber, CST")
REFLECTIONS = (
    "Feedback asked for more practice; the backlog exercise gets an hour next time.",
    "The co-trainer noticed I rushed the close; I now end with a retrospective.",
    "",  # none written yet
)
CREDENTIALS = ("csm", "cspo", "a_csm", "psm_1", "pspo_1", "other")
ASSESSMENTS = ("psm_1", "psm_2", "pspo_1", "pspo_2", "pal_1")
MILESTONES = ("learning_objectives_mapped", "application_drafted", "other")
# How the random items (beyond the ones every candidate gets) spread over the kinds.
KIND_WEIGHTS = {
    "teaching-sessions": 45,
    "assessments": 15,
    "credentials": 12,
    "experience": 10,
    "milestones": 18,
}


# -- the data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone the benchmark logs in as."""

    id: int
    email: str
    password: str


@dataclass
class Cast:
    """Who the benchmark acts as, and the records it reads and changes."""

    admin: Person
    busy_mentor: Person  # mentors ~50 candidates
    small_mentor: Person  # mentors 3 candidates
    heavy: Person  # the candidate with the most items, on cst@1 and pst@1
    heavy_cst: int
    heavy_items: int
    light: Person  # 25 items, enrollments in the same states as the heavy one's
    light_cst: int
    light_items: int
    heavy_2024: Person  # as many items, on cst@2 (ScrumMaster track) and pst@2, preparing
    heavy_2024_cst: int
    heavy_2024_items: int
    light_2024: Person  # 25 items, the same enrollments in the same states
    light_2024_cst: int
    light_2024_items: int
    # Candidates whose CST enrollment waits in "preparing" with every guard met.
    ready: list[tuple[Person, int]] = field(default_factory=list)


@dataclass
class Loader:
    """Creates the bench data through the services, as the web pages and API would."""

    session: Session
    rng: random.Random
    today: date
    admin: User

    def ago(self, low: int, high: int) -> date:
        """A random day between ``low`` and ``high`` days ago."""
        return self.today - timedelta(days=self.rng.randint(low, high))

    def user(self, role: Role, login: str, name: str) -> User:
        """Create a bench user whose e-mail is ``login@bench.trainerpath.test``."""
        return create_user(
            session=self.session,
            email=f"{login}@{DOMAIN}",
            name=name,
            password=PASSWORD,
            role=role.value,
            actor=self.admin,
        )

    def random_item(self, slug: str) -> dict[str, Any]:
        """Plausible fields for one item of kind ``slug``."""
        rng = self.rng
        if slug == "teaching-sessions":
            co_trainer = rng.choice(CO_TRAINERS) if rng.random() < 0.4 else None
            return {
                "title": rng.choice(TITLES),
                "course_type": rng.choices(
                    ["scrum_master", "product_owner", "other"], [65, 25, 10]
                )[0],
                "first_day": self.ago(5, 2500),
                "days": rng.choice([1, 2, 2, 2, 3]),
                "students": rng.randint(6, 18),
                "context": "co_trained" if co_trainer else "independent",
                "co_trainer": co_trainer,
                "location": rng.choice(PLACES),
                "share_delivered": rng.choice([100, 100, 60, 40]) if co_trainer else 100,
                "with_current_materials": rng.random() < 0.4,
                "reflection": rng.choice(REFLECTIONS),
            }
        if slug == "assessments":
            return {
                "assessment": rng.choice(ASSESSMENTS),
                "score": rng.randint(120, 200) / 2,
                "taken_on": self.ago(10, 2000),
            }
        if slug == "credentials":
            return {"kind": rng.choice(CREDENTIALS), "issued_on": self.ago(30, 3000)}
        if slug == "experience":
            started = self.ago(400, 4000)
            ended = None if rng.random() < 0.3 else started + timedelta(rng.randint(90, 380))
            return {
                "role": rng.choice(["scrum_master", "product_owner", "team_member", "other"]),
                "organisation": rng.choice(ORGANISATIONS),
                "started_on": started,
                "ended_on": ended,
            }
        note = "Signed off by the review panel." if rng.random() < 0.5 else None
        return {"kind": rng.choice(MILESTONES), "achieved_on": self.ago(5, 1500), "note": note}

    def guaranteed_items(self) -> list[tuple[str, dict[str, Any]]]:
        """The items that meet every CST guard once verified (12 sessions, 120+ students)."""
        sessions = [
            (
                "teaching-sessions",
                {
                    "title": TITLES[0],
                    "course_type": "scrum_master",
                    "first_day": self.ago(30, 1500),
                    "days": 2,
                    "students": self.rng.randint(10, 14),
                    "context": "independent",
                    "location": self.rng.choice(PLACES),
                    "with_current_materials": self.rng.random() < 0.5,
                    "reflection": REFLECTIONS[0],
                },
            )
            for _ in range(12)
        ]
        return [
            *sessions,
            ("credentials", {"kind": "csp_sm", "issued_on": self.ago(60, 600)}),
            ("milestones", {"kind": "course_materials_reviewed", "achieved_on": self.ago(5, 300)}),
            (
                "experience",
                {
                    "role": "scrum_master",
                    "organisation": self.rng.choice(ORGANISATIONS),
                    "started_on": self.ago(1500, 3500),
                },
            ),
        ]

    def random_status(self) -> str:
        """How the mentor reviews a random item: verified mostly, some rejected or pending."""
        roll = self.rng.random()
        if roll < 0.78:
            return ReviewStatus.VERIFIED.value
        return ReviewStatus.REJECTED.value if roll < 0.86 else ReviewStatus.PENDING.value

    def evidence(self, candidate: User, reviewer: User, count: int) -> None:
        """Log ``count`` items (at least FEWEST_ITEMS) as the candidate, then review them.

        The guaranteed items are verified; then one item of every kind is left pending and
        one rejected, so every candidate's pages have the same sections to fill and their
        statement counts compare; the mentor verifies most of the rest, rejects some.
        """
        assert candidate.id is not None
        planned = [
            (slug, data, ReviewStatus.VERIFIED.value) for slug, data in self.guaranteed_items()
        ]
        planned += [
            (slug, self.random_item(slug), status)
            for slug in KIND_WEIGHTS
            for status in (ReviewStatus.PENDING.value, ReviewStatus.REJECTED.value)
        ]
        weights = list(KIND_WEIGHTS.values())
        for slug in self.rng.choices(list(KIND_WEIGHTS), weights, k=count - len(planned)):
            planned.append((slug, self.random_item(slug), self.random_status()))
        for slug, data, status in planned:
            item = log_evidence(
                session=self.session,
                actor=candidate,
                candidate_id=candidate.id,
                kind=slug,
                data=data,
                today=self.today,
            )
            assert item.id is not None
            if status == ReviewStatus.PENDING:
                continue
            rejected = status == ReviewStatus.REJECTED
            review_evidence(
                session=self.session,
                actor=reviewer,
                kind=slug,
                item_id=item.id,
                decision=status,
                note="Please attach the attendee list." if rejected else None,
            )

    def fire(self, enrollment: Enrollment, actor: User, *events: str) -> None:
        """Fire the events in order, each with a note (some events require one)."""
        for name in events:
            fire_event(
                session=self.session,
                enrollment=enrollment,
                event=name,
                actor=actor,
                note=f"Benchmark: {name}.",
                today=self.today,
            )


def _person(user: User, password: str = PASSWORD) -> Person:
    assert user.id is not None
    return Person(user.id, user.email, password)


def _demo_user(session: Session, login: str) -> User:
    user = find_user_by_email(session, f"{login}@{DEMO_DOMAIN}")
    assert user is not None, f"the demo has no {login}"
    return user


def _item_count(session: Session, candidate_id: int) -> int:
    return sum(
        session.execute(
            select(func.count()).select_from(model).where(col(model.candidate_id) == candidate_id)
        ).scalar_one()
        for model in EVIDENCE_MODELS.values()
    )


def _cst_of(session: Session, candidate_id: int) -> int:
    stmt = select(col(Enrollment.id)).where(
        col(Enrollment.candidate_id) == candidate_id, col(Enrollment.pathway) == "cst"
    )
    enrollment_id = session.execute(stmt).scalar_one()
    assert enrollment_id is not None
    return enrollment_id


def cst_rules(index: int, ready: bool) -> tuple[str, str | None]:
    """The CST ruleset and track of bench candidate ``index``.

    The 2024 pair and the Product Owner one follow cst@2, and so does every third
    candidate after them but the ones kept ready to submit (cst@1); the rest cst@1.
    """
    if index in (LIGHT_2024, HEAVY_2024) or (index > HEAVY_2024 and index % 3 == 2 and not ready):
        return "cst@2", "product_owner" if index % 2 else "scrum_master"
    if index == PO_TRACK:
        return "cst@2", "product_owner"
    return "cst@1", None


def pst_rules(index: int) -> str | None:
    """The PST ruleset of bench candidate ``index``, or None when not enrolled."""
    if index in (HEAVY, LIGHT):
        return "pst@1"
    if index in (LIGHT_2024, HEAVY_2024):
        return "pst@2"
    if index > HEAVY_2024 and index % 2 == 0:
        return "pst@1" if index % 4 == 0 else "pst@2"
    return None


def load(
    engine: Engine,
    candidates: int,
    ready_wanted: int,
    seed_value: int,
    heavy_items: int = HEAVY_ITEMS,
) -> Cast:
    """Load the demo, then ``candidates`` more through the services; commit per candidate.

    Candidate 0 is the heavy one (``heavy_items`` items), candidate 1 the light one (25
    items), with the same enrollments in the same states; candidates 4 and 2 are the same
    pair on the current rulesets. The small mentor mentors candidates 1 to 3, the busy one 0 to 49.
    """
    today = date.today()
    rng = random.Random(seed_value)
    items = {HEAVY: heavy_items, HEAVY_2024: heavy_items, LIGHT: FEWEST_ITEMS}
    items[LIGHT_2024] = FEWEST_ITEMS
    with Session(engine, expire_on_commit=False) as session:
        seed(session, today)
        session.commit()
        admin = _demo_user(session, "admin")
        loader = Loader(session, rng, today, admin)
        mentor_count = 1 + math.ceil(max(0, candidates - MAIN_MENTEES) / OTHER_MENTEES)
        mentors = [
            loader.user(Role.MENTOR, f"mentor{m}", f"Bench Mentor {m}") for m in range(mentor_count)
        ]
        small_mentor = loader.user(Role.MENTOR, "mentor-small", "Bench Mentor Small")
        session.commit()
        # The last candidates stay in "preparing" on cst@1, ready to submit while timed.
        first_ready = max(HEAVY_2024 + 1, candidates - ready_wanted)
        ready: list[tuple[User, Enrollment]] = []
        for index in range(candidates):
            candidate = loader.user(Role.CANDIDATE, f"candidate{index}", f"Bench Candidate {index}")
            group = 0 if index < MAIN_MENTEES else 1 + (index - MAIN_MENTEES) // OTHER_MENTEES
            mentor = mentors[min(group, mentor_count - 1)]
            assert candidate.id is not None
            for assigned in [mentor, small_mentor] if 1 <= index <= SMALL_MENTEES else [mentor]:
                assert assigned.id is not None
                assign_mentor(
                    session=session, actor=admin, mentor_id=assigned.id, candidate_id=candidate.id
                )
            loader.evidence(candidate, mentor, items.get(index) or rng.randint(30, 60))
            ruleset, track = cst_rules(index, index >= first_ready)
            cst = enrol(
                session=session,
                actor=candidate,
                candidate_id=candidate.id,
                pathway="cst",
                ruleset=ruleset,
                track=track,
            )
            if ruleset == "cst@2":
                pass  # preparing: random evidence seldom meets the 2024 guards
            elif index in (HEAVY, LIGHT):
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_decline")
                loader.fire(cst, candidate, "withdraw", "resume")
            elif index >= first_ready:
                ready.append((candidate, cst))
            elif index % 4 == 1:
                loader.fire(cst, candidate, "submit_application")
            elif index % 4 == 2:
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_decline")
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_approve")
            elif index % 4 == 3:
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_approve", "interview_pass")
            if pst_ruleset := pst_rules(index):
                pst = enrol(
                    session=session,
                    actor=candidate,
                    candidate_id=candidate.id,
                    pathway="pst",
                    ruleset=pst_ruleset,
                )
                if index > HEAVY_2024:
                    with suppress(GuardUnmet):  # only some candidates meet the PST guards
                        loader.fire(pst, candidate, "submit_application")
            session.commit()

        def bench_candidate(index: int) -> tuple[Person, int, int]:
            user = find_user_by_email(session, f"candidate{index}@{DOMAIN}")
            assert user is not None and user.id is not None
            return _person(user), _cst_of(session, user.id), _item_count(session, user.id)

        heavy, light = bench_candidate(HEAVY), bench_candidate(LIGHT)
        heavy_2024, light_2024 = bench_candidate(HEAVY_2024), bench_candidate(LIGHT_2024)
        return Cast(
            admin=_person(admin, DEMO_PASSWORD),
            busy_mentor=_person(mentors[0]),
            small_mentor=_person(small_mentor),
            heavy=heavy[0],
            heavy_cst=heavy[1],
            heavy_items=heavy[2],
            light=light[0],
            light_cst=light[1],
            light_items=light[2],
            heavy_2024=heavy_2024[0],
            heavy_2024_cst=heavy_2024[1],
            heavy_2024_items=heavy_2024[2],
            light_2024=light_2024[0],
            light_2024_cst=light_2024[1],
            light_2024_items=light_2024[2],
            ready=[(_person(user), int(cst.id or 0)) for user, cst in ready],
        )


def volume(engine: Engine) -> list[str]:
    """Describe how much data the database holds, one line per table family."""
    with Session(engine) as session:
        by_role = select(col(User.role), func.count()).group_by(col(User.role))
        roles: dict[str, int] = {role: count for role, count in session.execute(by_role)}
        by_status: dict[str, int] = {}
        for model in EVIDENCE_MODELS.values():
            column = col(model.review_status)
            for status, count in session.execute(select(column, func.count()).group_by(column)):
                by_status[status] = by_status.get(status, 0) + count
        enrollments, transitions, audit = (
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Enrollment, TransitionRecord, AuditEntry)
        )
    statuses = ", ".join(f"{count:,} {status}" for status, count in sorted(by_status.items()))
    people = ", ".join(
        f"{count} {role}{'' if count == 1 else 's'}" for role, count in sorted(roles.items())
    )
    return [
        f"users: {sum(roles.values()):,} ({people})",
        f"evidence items: {sum(by_status.values()):,} ({statuses})",
        f"enrollments: {enrollments:,}, transitions: {transitions:,}, audit entries: {audit:,}",
    ]
