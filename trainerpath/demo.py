"""Demo data for a first run: users, mentorships, evidence and enrollments.

Everything goes through the real services, exactly as the web pages and the API would
call them: users are created, mentors assigned by the admin, evidence logged by each
candidate and reviewed by an assigned mentor, and every state reached by firing the
pathway events with the role the rules name. So a seeded demo is also proof that the
rules let a candidate get there. ``seed`` only flushes; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from heapq import heappop, heappush
from random import Random
from typing import Any

from sqlalchemy.orm import Session

from trainerpath import clock

from . import queries
from .models import Enrollment, ReviewStatus, Role, User
from .pathways import ruleset_for
from .services.evidence import log_evidence, review_evidence
from .services.pathways import enrol, fire_event, measure_requirements, state_label
from .services.users import assign_mentor, create_user

DEMO_PASSWORD = "trainerpath-demo"
DEMO_DOMAIN = "demo.trainerpath.test"

# Co-trainers named on co-trained sessions (fictional people).
REBECCA = "Rebecca Hart, CST"
JONAS = "Jonas Weber, CST"


@dataclass(frozen=True)
class Item:
    """An evidence item the demo logged: its kind's slug and its id."""

    kind: str
    id: int


# A teaching session as the stories list it: days ago, title, course type, days,
# students, co-trainer (None: taught independently), location.
Taught = tuple[int, str, str, int, int, str | None, str]


# When each demo user joined, in days before the demo's today: the admin and the mentors
# first, each candidate early enough for their story to have happened since.
JOINED = {
    "admin": 800,
    "priya": 790,
    "tom": 785,
    "hannah": 430,
    "marco": 520,
    "aisha": 330,
    "daniel": 300,
    "sofia": 760,
    "lena": 200,
    "yusuf": 150,
}
WORKDAY = time(8, 30)  # UTC; the demo acts within eight hours of this
LATEST = 2  # days before today of the demo's last actions
RANDOM_SEED = 12  # the demo's times of day and delays: the same seed, the same demo


@dataclass(order=True, frozen=True)
class _Review:
    """A verification the demo will make when its clock reaches ``due``."""

    due: datetime
    item_id: int
    kind: str = field(compare=False)
    reviewer: User = field(compare=False)


@dataclass
class _Demo:
    """The seeding session: who acts, which day is today, and the stories so far.

    The demo acts on a past timeline: each action runs with ``clock.now`` stopped at the
    demo's own clock (``moment``), so every timestamp the services write (created,
    reviewed, history, audit, notifications) says when it happened. A story moves the
    clock forward only: an item is logged a few days after its own date (or on the
    story's clock, for what the candidate brings from before joining), a review a few
    days after the logging, and ``on`` moves to a day of the story.
    """

    session: Session
    today: date
    admin: User | None = None
    mentors_of: dict[int, list[User]] = field(default_factory=dict)
    moment: datetime = field(init=False)
    joined: dict[int, datetime] = field(default_factory=dict)
    logged: dict[Item, datetime] = field(default_factory=dict)
    reviewer: User | None = None  # inside ``reviewed_by``: who verifies what is logged
    due: list[_Review] = field(default_factory=list)  # a heap
    random: Random = field(default_factory=lambda: Random(RANDOM_SEED))

    def __post_init__(self) -> None:
        self.moment = self._workday(JOINED["admin"])

    def ago(self, days: int) -> date:
        """The date ``days`` before the demo's today."""
        return self.today - timedelta(days=days)

    # -- The demo's clock ------------------------------------------------------------

    def _workday(self, days: int) -> datetime:
        """A moment during the working hours of the day ``days`` before today."""
        start = datetime.combine(self.ago(days), WORKDAY, UTC)
        return start + timedelta(minutes=self.random.randrange(8 * 60))

    def _tick(self) -> datetime:
        """The moment of the next action: a few minutes on, before yesterday (so in the
        past in every time zone, whichever zone's date ``today`` is)."""
        self.moment += timedelta(minutes=self.random.randint(1, 12))
        assert self.moment < datetime.combine(self.ago(LATEST - 1), time(), UTC), self.moment
        return self.moment

    def _move(self, moment: datetime | None) -> None:
        """Advance the clock to ``moment`` (None: past every due review), first making
        the reviews due by then; a moment already passed leaves the clock where it is."""
        while self.due and (moment is None or self.due[0].due <= moment):
            review = heappop(self.due)
            self.moment = max(self.moment, review.due)
            self._review(review.reviewer, Item(review.kind, review.item_id), ReviewStatus.VERIFIED)
        if moment is not None:
            self.moment = max(self.moment, moment)

    def on(self, days: int) -> None:
        """Move the story to the day ``days`` before today (if it is not there yet)."""
        self._move(self._workday(days))

    def begin(self, candidate: User) -> None:
        """Start the candidate's story the day after they joined."""
        assert candidate.id is not None and not self.due
        joined = self.joined[candidate.id]
        self.moment = joined
        self.on((self.today - joined.date()).days - 1)

    @contextmanager
    def reviewed_by(self, reviewer: User) -> Iterator[None]:
        """Have ``reviewer`` verify each item logged in the block a few days after it
        was logged; the reviews not yet made are made when the block ends."""
        self.reviewer = reviewer
        yield
        self.reviewer = None
        self._move(None)

    # -- What the demo does ----------------------------------------------------------

    def person(self, role: Role, login: str, name: str) -> User:
        """Create a demo user whose e-mail is ``login@demo.trainerpath.test``, on the day
        ``JOINED`` says."""
        self.moment = self._workday(JOINED[login])
        with clock.stopped_at(self._tick()):
            user = create_user(
                session=self.session,
                email=f"{login}@{DEMO_DOMAIN}",
                name=name,
                password=DEMO_PASSWORD,
                role=role.value,
                actor=self.admin,
            )
        assert user.id is not None
        self.joined[user.id] = self.moment
        return user

    def assign(self, mentor: User, *candidates: User) -> None:
        """Have the admin assign ``mentor`` to each candidate, the day the candidate joined."""
        assert self.admin is not None
        for candidate in candidates:
            assert mentor.id is not None and candidate.id is not None
            self.moment = self.joined[candidate.id] + timedelta(hours=1)
            with clock.stopped_at(self._tick()):
                assign_mentor(
                    session=self.session,
                    actor=self.admin,
                    mentor_id=mentor.id,
                    candidate_id=candidate.id,
                )
            self.mentors_of.setdefault(candidate.id, []).append(mentor)

    def log(self, candidate: User, slug: str, /, **data: Any) -> Item:
        """Log an evidence item of kind ``slug`` as the candidate, a few days after its
        latest date; it starts pending (inside ``reviewed_by``: verified a few days on)."""
        assert candidate.id is not None
        # Its latest date; a course's "days" run on from its first day.
        latest = max(value for value in data.values() if isinstance(value, date))
        latest += timedelta(days=int(data.get("days", 1)) - 1)
        self.on(max((self.today - latest).days - self.random.randint(1, 4), LATEST))
        with clock.stopped_at(self._tick()):
            logged = log_evidence(
                session=self.session,
                actor=candidate,
                candidate_id=candidate.id,
                kind=slug,
                data=data,
                today=self.today,
            )
        assert logged.id is not None
        item = Item(slug, logged.id)
        self.logged[item] = self.moment
        if self.reviewer is not None:
            due = self._after_logging(item)
            heappush(self.due, _Review(due, item.id, item.kind, self.reviewer))
        return item

    def _after_logging(self, item: Item) -> datetime:
        """A moment during the working hours some days after the item was logged."""
        days = (self.today - self.logged[item].date()).days - self.random.randint(1, 4)
        return self._workday(max(days, LATEST))

    def _review(self, reviewer: User, item: Item, decision: str, note: str | None = None) -> None:
        with clock.stopped_at(self._tick()):
            review_evidence(
                session=self.session,
                actor=reviewer,
                kind=item.kind,
                item_id=item.id,
                decision=decision,
                note=note,
            )

    def verify(self, reviewer: User, *items: Item) -> None:
        """Verify the items as ``reviewer`` (an assigned mentor or the admin), some days
        after the last of them was logged."""
        self._move(max(self._after_logging(item) for item in items))
        for item in items:
            self._review(reviewer, item, ReviewStatus.VERIFIED)

    def reject(self, reviewer: User, item: Item, note: str) -> None:
        """Reject the item as ``reviewer`` some days after it was logged, saying what to fix."""
        self._move(self._after_logging(item))
        self._review(reviewer, item, ReviewStatus.REJECTED, note)

    def enrol(
        self, candidate: User, pathway: str, ruleset: str, track: str | None = None
    ) -> Enrollment:
        """Enrol the candidate, as the candidate, in ``pathway`` under ``ruleset``."""
        assert candidate.id is not None
        with clock.stopped_at(self._tick()):
            return enrol(
                session=self.session,
                actor=candidate,
                candidate_id=candidate.id,
                pathway=pathway,
                ruleset=ruleset,
                track=track,
            )

    def fire(
        self, enrollment: Enrollment, actor: User, event: str, note: str | None = None
    ) -> None:
        """Fire ``event`` as ``actor``; a refusal aborts the whole demo."""
        with clock.stopped_at(self._tick()):
            fire_event(
                session=self.session,
                enrollment=enrollment,
                event=event,
                actor=actor,
                note=note,
                today=self.today,
            )

    def teaching(self, candidate: User, rows: list[Taught]) -> list[Item]:
        """Log one teaching session per row as the candidate."""
        return [
            self.log(
                candidate,
                "teaching-sessions",
                title=title,
                course_type=course_type,
                first_day=self.ago(days_ago),
                days=days,
                students=students,
                context="co_trained" if co_trainer else "independent",
                co_trainer=co_trainer,
                location=location,
            )
            for days_ago, title, course_type, days, students, co_trainer, location in rows
        ]


CSM_COURSE = "Certified ScrumMaster (CSM)"
FUNDAMENTALS = "Scrum Fundamentals for Teams"


def seed(session: Session, today: date | None = None) -> list[tuple[User, str]]:
    """Create the demo through the services; return each user with where they stand."""
    demo = _Demo(session, today or clock.today())
    admin = demo.admin = demo.person(Role.ADMIN, "admin", "Alex Morgan")
    priya = demo.person(Role.MENTOR, "priya", "Priya Natarajan")
    tom = demo.person(Role.MENTOR, "tom", "Tom Okafor")
    hannah = demo.person(Role.CANDIDATE, "hannah", "Hannah Lewis")
    marco = demo.person(Role.CANDIDATE, "marco", "Marco Bianchi")
    aisha = demo.person(Role.CANDIDATE, "aisha", "Aisha Rahman")
    daniel = demo.person(Role.CANDIDATE, "daniel", "Daniel Kowalski")
    sofia = demo.person(Role.CANDIDATE, "sofia", "Sofia Lindqvist")
    lena = demo.person(Role.CANDIDATE, "lena", "Lena Vogt")
    yusuf = demo.person(Role.CANDIDATE, "yusuf", "Yusuf Demir")
    candidates = (hannah, marco, aisha, daniel, sofia, lena, yusuf)

    # Priya mentors the CST candidates, Tom the PST ones; Aisha has both.
    demo.assign(priya, hannah, marco, aisha, lena)
    demo.assign(tom, aisha, daniel, sofia, yusuf)

    enrollments = {
        hannah.id: _hannah(demo, hannah, priya),
        marco.id: _marco(demo, marco, priya),
        aisha.id: _aisha(demo, aisha, priya, tom),
        daniel.id: _daniel(demo, daniel, tom),
        sofia.id: _sofia(demo, sofia, tom, admin),
        lena.id: _lena(demo, lena, priya),
        yusuf.id: _yusuf(demo, yusuf, tom),
    }
    details = {
        hannah.id: _students(demo, hannah),
        marco.id: "applied once every CST guard was met",
        aisha.id: "declined once by the TAC, then approved",
        daniel.id: "first PSPO III attempt scored 81%",
        sofia.id: "passed the staff interview on retry",
        lena.id: _ageing_and_forecast(demo, enrollments[lena.id][0]),
        yusuf.id: "met the Core Qualifications; application accepted",
    }

    people: list[tuple[User, str]] = [(admin, "manages users and mentors, sees everyone")]
    for mentor in (priya, tom):
        mentees = [c.name for c in candidates if _mentors(demo, c, mentor)]
        people.append((mentor, "mentors " + ", ".join(mentees)))
    for candidate in candidates:
        stands = "; ".join(_where(e) for e in enrollments[candidate.id])
        people.append((candidate, f"{stands} — {details[candidate.id]}"))
    return people


def _mentors(demo: _Demo, candidate: User, mentor: User) -> bool:
    assert candidate.id is not None
    return mentor in demo.mentors_of.get(candidate.id, [])


def _students(demo: _Demo, candidate: User) -> str:
    """Say how far the candidate is toward 100 students, as their dashboard will."""
    assert candidate.id is not None
    cst = next(e for e in queries.enrollments_of(demo.session, candidate.id) if e.pathway == "cst")
    (students,) = measure_requirements(demo.session, cst, ["students_taught"], demo.today)
    return f"{students.current} verified + {students.pending} pending of {students.target} students"


def _where(enrollment: Enrollment) -> str:
    """Say where an enrollment stands and under which rules: "CST: TAC review (cst@1)"."""
    ruleset = ruleset_for(enrollment.ruleset)
    rules = enrollment.ruleset + (f", {enrollment.track} track" if enrollment.track else "")
    return f"{enrollment.pathway.upper()}: {state_label(ruleset, enrollment.state)} ({rules})"


def _ageing_and_forecast(demo: _Demo, cst: Enrollment) -> str:
    """Say what a cst@2 dashboard warns of and forecasts, from the requirement objects."""
    events, materials = measure_requirements(
        demo.session, cst, ["qualifying_events", "current_materials_events"], demo.today
    )
    last = events.ageing[-1]
    assert materials.forecast is not None and materials.forecast.met_by is not None
    return (
        f"{events.current} qualifying events, {events.current - last.current} of them leave "
        f"the 60-month window by {_day(last.on)}; {materials.current} of {materials.target} "
        f"with current materials, about {materials.forecast.met_by:%B %Y} at this pace"
    )


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _hannah(demo: _Demo, hannah: User, priya: User) -> list[Enrollment]:
    """CST, still preparing: active CSP, experience, 73 verified + 20 pending students."""
    demo.begin(hannah)
    cst = demo.enrol(hannah, "cst", "cst@1")
    with demo.reviewed_by(priya):
        demo.log(hannah, "credentials", kind="csm", issued_on=demo.ago(2250))
        demo.log(hannah, "credentials", kind="csp_sm", issued_on=demo.ago(420))
        # Two overlapping jobs: a ScrumMaster role and a volunteer team that went on beside it.
        demo.log(
            hannah,
            "experience",
            role="scrum_master",
            organisation="Harbour Bank",
            started_on=demo.ago(2900),
            ended_on=demo.ago(1200),
        )
        demo.log(
            hannah,
            "experience",
            role="team_member",
            organisation="Open Food Collective",
            started_on=demo.ago(1500),
        )
        demo.teaching(
            hannah,
            [
                (700, FUNDAMENTALS, "scrum_master", 2, 12, None, "Leeds"),
                (600, CSM_COURSE, "scrum_master", 2, 14, REBECCA, "London"),
                (500, FUNDAMENTALS, "scrum_master", 2, 9, None, "Online (Zoom)"),
                (380, CSM_COURSE, "scrum_master", 2, 15, REBECCA, "Manchester"),
                (300, "Product Ownership Essentials", "product_owner", 1, 11, None, "Leeds"),
                (200, "ScrumMaster Skills Lab", "scrum_master", 3, 12, None, "Bristol"),
            ],
        )  # 73 students
        demo.log(
            hannah,
            "milestones",
            kind="learning_objectives_mapped",
            achieved_on=demo.ago(150),
            note="CSM learning objectives mapped to my two-day course outline.",
        )
    (talk,) = demo.teaching(
        hannah, [(90, "Scrum lunch-and-learn", "other", 1, 25, None, "Harbour Bank, Leeds")]
    )
    demo.reject(
        priya,
        talk,
        "A 90-minute lunch talk is not a training course, so it cannot count toward the "
        "100 students. Log it as an 'other' milestone if you want it on record.",
    )
    # Left pending, logged over the last weeks: the oldest has waited more than two.
    demo.teaching(hannah, [(26, CSM_COURSE, "scrum_master", 2, 12, JONAS, "Birmingham")])
    demo.log(
        hannah,
        "milestones",
        kind="course_materials_reviewed",
        achieved_on=demo.ago(10),
        note="Review panel feedback received; final sign-off letter attached.",
    )
    demo.teaching(
        hannah, [(6, FUNDAMENTALS, "scrum_master", 2, 8, None, "Online (Microsoft Teams)")]
    )  # 20 students pending
    return [cst]


def _marco(demo: _Demo, marco: User, priya: User) -> list[Enrollment]:
    """CST applicant in TAC review after meeting every guard; PST just started."""
    demo.begin(marco)
    cst = demo.enrol(marco, "cst", "cst@1")
    with demo.reviewed_by(priya):
        demo.log(marco, "credentials", kind="csm", issued_on=demo.ago(2400))
        demo.log(marco, "credentials", kind="csp_sm", issued_on=demo.ago(250))
        demo.log(
            marco,
            "experience",
            role="scrum_master",
            organisation="Fjord Software",
            started_on=demo.ago(3000),
            ended_on=demo.ago(1400),
        )
        demo.log(
            marco,
            "experience",
            role="scrum_master",
            organisation="Lumen Insurance",
            started_on=demo.ago(1450),
            ended_on=demo.ago(900),
        )
        demo.log(
            marco,
            "experience",
            role="product_owner",
            organisation="Lumen Insurance",
            started_on=demo.ago(900),
        )
        demo.teaching(
            marco,
            [
                (820, FUNDAMENTALS, "scrum_master", 2, 10, None, "Milan"),
                (760, CSM_COURSE, "scrum_master", 2, 12, REBECCA, "London"),
                (700, CSM_COURSE, "scrum_master", 2, 9, JONAS, "Berlin"),
                (640, FUNDAMENTALS, "scrum_master", 2, 11, None, "Online (Zoom)"),
                (560, CSM_COURSE, "scrum_master", 2, 14, JONAS, "Munich"),
                (500, "ScrumMaster Skills Lab", "scrum_master", 3, 8, None, "Turin"),
                (430, CSM_COURSE, "scrum_master", 2, 12, REBECCA, "Edinburgh"),
                (360, FUNDAMENTALS, "scrum_master", 2, 10, None, "Milan"),
                (280, CSM_COURSE, "scrum_master", 2, 13, JONAS, "Vienna"),
                (190, FUNDAMENTALS, "scrum_master", 2, 9, None, "Online (Zoom)"),
                (110, CSM_COURSE, "scrum_master", 2, 11, REBECCA, "Dublin"),
            ],
        )  # 119 students in 11 multi-day ScrumMaster sessions
        demo.log(marco, "assessments", assessment="pspo_1", score=91.0, taken_on=demo.ago(105))
        demo.log(
            marco,
            "milestones",
            kind="course_materials_reviewed",
            achieved_on=demo.ago(95),
            note="Materials approved by the review panel after one round of changes.",
        )
        demo.log(marco, "milestones", kind="application_drafted", achieved_on=demo.ago(85))
    # Applied 75 days ago, enrolled for PST the same day, and quiet ever since.
    demo.on(75)
    demo.fire(cst, marco, "submit_application")
    pst = demo.enrol(marco, "pst", "pst@1")
    return [cst, pst]


def _aisha(demo: _Demo, aisha: User, priya: User, tom: User) -> list[Enrollment]:
    """CST certified: submitted, declined with a note, resubmitted, approved, passed."""
    demo.begin(aisha)
    cst = demo.enrol(aisha, "cst", "cst@1")
    with demo.reviewed_by(priya):
        demo.log(aisha, "credentials", kind="csm", issued_on=demo.ago(3000))
        demo.log(aisha, "credentials", kind="csp_sm", issued_on=demo.ago(500))
        demo.log(
            aisha,
            "experience",
            role="team_member",
            organisation="Kestrel Telecom",
            started_on=demo.ago(3600),
            ended_on=demo.ago(2500),
        )
        demo.log(
            aisha,
            "experience",
            role="scrum_master",
            organisation="Kestrel Telecom",
            started_on=demo.ago(2500),
        )
        demo.teaching(
            aisha,
            [
                (900, CSM_COURSE, "scrum_master", 2, 14, REBECCA, "London"),
                (830, CSM_COURSE, "scrum_master", 2, 12, REBECCA, "Cambridge"),
                (760, FUNDAMENTALS, "scrum_master", 2, 10, None, "Birmingham"),
                (690, CSM_COURSE, "scrum_master", 2, 15, JONAS, "Amsterdam"),
                (620, CSM_COURSE, "scrum_master", 2, 11, REBECCA, "London"),
                (550, "ScrumMaster Skills Lab", "scrum_master", 3, 9, None, "Online (Zoom)"),
                (480, CSM_COURSE, "scrum_master", 2, 13, JONAS, "Rotterdam"),
                (410, CSM_COURSE, "scrum_master", 2, 12, REBECCA, "Oxford"),
                (340, FUNDAMENTALS, "scrum_master", 2, 10, None, "Nottingham"),
                (270, CSM_COURSE, "scrum_master", 2, 14, REBECCA, "London"),
            ],
        )  # 120 students
        demo.log(
            aisha,
            "milestones",
            kind="course_materials_reviewed",
            achieved_on=demo.ago(240),
            note="Review panel approved the CSM materials and facilitator guide.",
        )
    wrong_date = demo.log(aisha, "credentials", kind="a_csm", issued_on=demo.ago(1700))
    demo.reject(
        tom,
        wrong_date,
        "The Scrum Alliance directory lists a different issue date for this A-CSM. "
        "Please correct the date and it will be verified.",
    )
    demo.on(220)
    demo.fire(cst, aisha, "submit_application")
    demo.on(190)
    demo.fire(
        cst,
        priya,
        "tac_decline",
        note="The TAC asks for more independently taught sessions and a recorded "
        "teaching segment before it reconsiders.",
    )
    # What she did about it: two more sessions of her own, then she applied again.
    with demo.reviewed_by(tom):
        demo.teaching(
            aisha,
            [
                (150, FUNDAMENTALS, "scrum_master", 2, 11, None, "Sheffield"),
                (80, "ScrumMaster Skills Lab", "scrum_master", 3, 9, None, "Online (Zoom)"),
            ],
        )
    demo.on(70)
    demo.fire(cst, aisha, "submit_application")
    demo.on(40)
    demo.fire(cst, tom, "tac_approve")
    demo.on(15)
    demo.fire(cst, tom, "interview_pass")
    return [cst]


def _daniel(demo: _Demo, daniel: User, tom: User) -> list[Enrollment]:
    """PST at PSPO III: accepted, TTT done, PSPO II passed, PSPO III failed at 81%."""
    demo.begin(daniel)
    pst = demo.enrol(daniel, "pst", "pst@1")
    passport = demo.ago(1110)
    with demo.reviewed_by(tom):
        # Two Product Owner jobs that overlapped for 200 days count once.
        demo.log(
            daniel,
            "experience",
            role="product_owner",
            organisation="Northwind Logistics",
            started_on=demo.ago(2300),
            ended_on=demo.ago(800),
        )
        demo.log(
            daniel,
            "experience",
            role="product_owner",
            organisation="Brightside Health",
            started_on=demo.ago(1000),
        )
        demo.teaching(
            daniel,
            [
                (400, "Product Ownership Essentials", "product_owner", 2, 14, None, "Kraków"),
                (260, "Backlog Refinement Workshop", "other", 1, 18, None, "Online (Zoom)"),
            ],
        )
        # A class passport: a first attempt below 85% earns a free second one within 14 days.
        demo.log(
            daniel,
            "assessments",
            assessment="pspo_1",
            score=82.5,
            taken_on=demo.ago(1105),
            passport_received_on=passport,
        )
        demo.log(
            daniel,
            "assessments",
            assessment="pspo_1",
            score=97.0,
            taken_on=demo.ago(1099),
            passport_received_on=passport,
        )
        demo.log(daniel, "credentials", kind="pspo_1", issued_on=demo.ago(1099))
    demo.on(240)
    demo.fire(pst, daniel, "submit_application")
    demo.on(225)
    demo.fire(pst, tom, "accept_application")
    ttt = demo.log(
        daniel,
        "milestones",
        kind="ttt_attended",
        achieved_on=demo.ago(150),
        note="3-day Train the Trainer in Amsterdam, including the 2-day PSPO class.",
    )
    demo.verify(tom, ttt)
    demo.fire(pst, daniel, "complete_ttt")
    pspo2 = demo.log(daniel, "assessments", assessment="pspo_2", score=88.0, taken_on=demo.ago(100))
    demo.verify(tom, pspo2)
    demo.fire(pst, daniel, "pass_pspo2")
    pspo3 = demo.log(daniel, "assessments", assessment="pspo_3", score=81.0, taken_on=demo.ago(20))
    demo.verify(tom, pspo3)
    demo.teaching(
        daniel, [(8, "Product Ownership Essentials", "product_owner", 2, 16, None, "Warsaw")]
    )  # pending
    return [pst]


def _sofia(demo: _Demo, sofia: User, tom: User, admin: User) -> list[Enrollment]:
    """PST licensed, with a pause (withdrawn, resumed) and a staff interview retry."""
    demo.begin(sofia)
    pst = demo.enrol(sofia, "pst", "pst@1")
    with demo.reviewed_by(tom):
        demo.log(
            sofia,
            "experience",
            role="product_owner",
            organisation="Aurora Games",
            started_on=demo.ago(3300),
            ended_on=demo.ago(1800),
        )
        demo.log(
            sofia,
            "experience",
            role="product_owner",
            organisation="Nordlys Energy",
            started_on=demo.ago(1850),
        )
        demo.teaching(
            sofia,
            [
                (1000, "Product Ownership Essentials", "product_owner", 2, 12, None, "Stockholm"),
                (820, "Product Discovery Bootcamp", "product_owner", 3, 16, None, "Gothenburg"),
                (640, "Scrum for Leaders", "other", 1, 20, None, "Online (Zoom)"),
            ],
        )
        demo.log(
            sofia,
            "assessments",
            assessment="pspo_1",
            score=98.0,
            taken_on=demo.ago(720),
        )
        demo.log(sofia, "credentials", kind="pspo_1", issued_on=demo.ago(720))
        demo.log(sofia, "credentials", kind="cspo", issued_on=demo.ago(2000))
    demo.on(630)
    demo.fire(pst, sofia, "submit_application")
    demo.on(610)
    demo.fire(pst, tom, "accept_application")
    ttt = demo.log(
        sofia,
        "milestones",
        kind="ttt_attended",
        achieved_on=demo.ago(560),
        note="Train the Trainer in Boston.",
    )
    demo.verify(tom, ttt)
    demo.fire(pst, sofia, "complete_ttt")
    demo.on(500)
    demo.fire(pst, sofia, "withdraw", note="Parental leave; back after the summer.")
    demo.on(330)
    demo.fire(pst, sofia, "resume")
    for assessment, score, days_ago, event in (
        ("pspo_2", 90.0, 300, "pass_pspo2"),
        ("pspo_3", 87.5, 180, "pass_pspo3"),
    ):
        attempt = demo.log(
            sofia, "assessments", assessment=assessment, score=score, taken_on=demo.ago(days_ago)
        )
        demo.verify(tom, attempt)
        demo.fire(pst, sofia, event)
    demo.on(120)
    demo.fire(
        pst,
        tom,
        "staff_interview_fail",
        note="Strong on ordering the backlog by value; practise coaching stakeholders "
        "on empiricism, then book a retry.",
    )
    demo.on(60)
    demo.fire(pst, tom, "staff_interview_pass")
    demo.on(30)
    demo.fire(pst, admin, "peer_review_pass")
    return [pst]


CSPO_COURSE = "Certified Scrum Product Owner (CSPO)"


@dataclass(frozen=True)
class Course:
    """A course with the fields the April 2024 rules read (pathways.md §6)."""

    days_ago: int
    location: str
    reflection: str  # blank: none written
    students: int = 12
    co_trainer: str | None = None  # None: taught independently
    share_delivered: int = 100
    with_current_materials: bool = False
    title: str = CSPO_COURSE
    days: int = 2

    def fields(self, demo: _Demo) -> dict[str, Any]:
        """The teaching-session fields to log."""
        return {
            "title": self.title,
            "course_type": "product_owner",
            "first_day": demo.ago(self.days_ago),
            "days": self.days,
            "students": self.students,
            "context": "co_trained" if self.co_trainer else "independent",
            "co_trainer": self.co_trainer,
            "location": self.location,
            "share_delivered": self.share_delivered,
            "with_current_materials": self.with_current_materials,
            "reflection": self.reflection,
        }


# Ten qualifying events (the oldest two leave the 60-month window within the year, the
# first within 90 days), three of them with her current materials, and two courses that
# do not qualify: a one-day workshop and a course she delivered 40% of.
LENA_COURSES = [
    Course(
        1760,
        "Hamburg",
        "Co-trainer feedback: I rushed estimation. The backlog exercise now gets an hour.",
        co_trainer=JONAS,
        share_delivered=50,
    ),
    Course(
        1600,
        "Berlin",
        "Students asked for real backlogs; I now bring an anonymised one from my product.",
        co_trainer=JONAS,
        share_delivered=60,
    ),
    Course(1400, "Munich", "Day-two retrospective asked for stakeholders; added a role play."),
    Course(1250, "Online (Zoom)", "", title="Product Discovery Workshop", days=1, students=18),
    Course(1100, "Cologne", "Cut the velocity slides; spent the time on product goals."),
    Course(1000, "Frankfurt", "A team from one company: used their own product vision."),
    Course(900, "Online (Zoom)", "Energy dipped after lunch; moved the vision exercise earlier."),
    Course(
        700,
        "London",
        "Rebecca led most of it; I took product discovery.",
        co_trainer=REBECCA,
        share_delivered=40,
    ),
    Course(520, "Vienna", "Feedback asked for more on refinement; wrote a refinement kata."),
    Course(
        330,
        "Zurich",
        "First run of my rewritten materials: the kata worked, the timing did not.",
        with_current_materials=True,
    ),
    Course(
        190,
        "Hamburg",
        "Shortened the kata to 40 minutes; 'I can order a backlog by value' scored higher.",
        with_current_materials=True,
    ),
    Course(
        60,
        "Online (Zoom)",
        "Breakout pairs for the vision board: the students' favourite part.",
        with_current_materials=True,
    ),
]


def _lena(demo: _Demo, lena: User, priya: User) -> list[Enrollment]:
    """cst@2 on the Product Owner track: qualifying events ageing out, materials behind."""
    demo.begin(lena)
    cst = demo.enrol(lena, "cst", "cst@2", track="product_owner")
    with demo.reviewed_by(priya):
        demo.log(lena, "credentials", kind="cspo", issued_on=demo.ago(3400))
        demo.log(lena, "credentials", kind="csp_po", issued_on=demo.ago(380))
        demo.log(
            lena,
            "experience",
            role="product_owner",
            organisation="Kranich Mobility",
            started_on=demo.ago(2400),
            ended_on=demo.ago(1500),
        )
        demo.log(
            lena,
            "experience",
            role="agile_coach",
            organisation="Lumio Health",
            started_on=demo.ago(1400),
        )
        for course in LENA_COURSES:
            demo.log(lena, "teaching-sessions", **course.fields(demo))
    # Left pending: the mapping has waited more than two weeks, the newest course days.
    demo.log(
        lena,
        "milestones",
        kind="learning_objectives_mapped",
        achieved_on=demo.ago(20),
        note="CSPO learning objectives mapped to every module of my course.",
    )
    new_course = Course(
        12,
        "Leipzig",
        "Students wanted the vision board earlier; it moves to day one.",
        with_current_materials=True,
    )
    demo.log(lena, "teaching-sessions", **new_course.fields(demo))  # 4 of 5 once verified
    return [cst]


def _yusuf(demo: _Demo, yusuf: User, tom: User) -> list[Enrollment]:
    """pst@2 in phase 2: the Core Qualifications met, the application accepted."""
    demo.begin(yusuf)
    pst = demo.enrol(yusuf, "pst", "pst@2")
    with demo.reviewed_by(tom):
        demo.log(
            yusuf,
            "experience",
            role="scrum_master",
            organisation="Bosphorus Payments",
            started_on=demo.ago(2600),
            ended_on=demo.ago(1150),
        )
        demo.log(
            yusuf,
            "experience",
            role="agile_coach",
            organisation="Kestrel Telecom",
            started_on=demo.ago(1200),
        )  # overlaps the last 50 days of the job before: counted once
        demo.teaching(
            yusuf,
            [(400, "Applying Professional Scrum", "scrum_master", 2, 14, None, "Istanbul")],
        )
        demo.log(yusuf, "assessments", assessment="psm_1", score=97.5, taken_on=demo.ago(900))
        demo.log(yusuf, "assessments", assessment="psm_2", score=88.0, taken_on=demo.ago(520))
        demo.log(yusuf, "credentials", kind="psm_1", issued_on=demo.ago(900))
        demo.log(yusuf, "credentials", kind="psm_2", issued_on=demo.ago(520))
    demo.on(120)
    demo.fire(pst, yusuf, "submit_application")
    demo.on(100)
    demo.fire(pst, tom, "accept_application")
    return [pst]
