"""Fill an empty PostgreSQL database with a large, realistic dataset, in bulk SQL.

Issue 9's "large dataset": 10,000 candidates and 1,000,000 teaching sessions take
minutes, because every table is filled by one ``INSERT ... SELECT`` over
``generate_series`` rather than row by row through the services. What the services
would have written is written here too: users (admins, one mentor per ~15 candidates,
candidates), mentorships (some ended and replaced), enrollments on all four rulesets in
states reached by real paths of their machines (with the history of each event fired),
the five kinds of evidence (dates spread over eight years, mixed review statuses,
reviewers and review times), feedback, and the audit trail of all of it, in time order.

Every value meets the app's rules: choices come from ``evidence_kinds``, numbers stay in
the fields' ranges, dates are never in the future, co-trained sessions name their
co-trainer, rejected items carry a note. Everyone's password is ``PASSWORD``, hashed
once, cheaply (pbkdf2:sha256 at 1,000 iterations, as the test suite hashes).

    .venv/bin/python scripts/bigdata.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tp_big \\
        --candidates 10000 --sessions 1000000

The database must exist and hold no users; it is migrated first. ``generate`` does the
same from Python and returns the logins it printed (the benchmark and the query-plan
test use it).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from trainerpath import clock, migrate  # noqa: E402
from trainerpath.models import SQLModel  # noqa: E402
from trainerpath.pathways import RULESETS, Ruleset  # noqa: E402
from trainerpath.pathways.base import CANDIDATE  # noqa: E402
from trainerpath.services import standings  # noqa: E402
from trainerpath.services.evidence_kinds import (  # noqa: E402
    KINDS,
    SCRUM_ALLIANCE_KINDS,
    SCRUM_ALLIANCE_VALIDITY_YEARS,
)

PASSWORD = "trainerpath-big"
DOMAIN = "big.trainerpath.test"
CHEAP_HASH = "pbkdf2:sha256:1000"

CANDIDATES_PER_MENTOR = 15
CANDIDATES_PER_ADMIN = 2_500
YEARS = 8  # the oldest candidate started eight years ago
# Evidence other than teaching sessions, per candidate: (fewest, most).
PER_CANDIDATE = {
    "assessments": (2, 7),
    "credentials": (1, 5),
    "experience": (1, 4),
    "milestones": (0, 4),
}
FEEDBACK_PER_CANDIDATE = (0, 8)
STANDINGS_BATCH = 500  # candidates measured together


def words(spaced: str) -> tuple[str, ...]:
    """The words of a space-separated list."""
    return tuple(spaced.split())


FIRST_NAMES = words(
    "Anna Ben Carla David Elif Farid Greta Hugo Ines Jonas Kofi Lena Mateo Nora Omar "
    "Paula Quentin Rosa Samir Tara Umut Vera Wen Ximena Yusuf Zoe Aiko Bruno Chloe "
    "Dario Emma Felix Giulia Hannah Ivan Julia Karim Lucia Milan Nadia"
)
LAST_NAMES = words(
    "Adler Bauer Costa Demir Eriksen Fischer Garcia Hart Ito Jensen Kowalski Lopez "
    "Meyer Nowak Okafor Petrov Quinn Rossi Schmidt Tanaka Usman Vogt Weber Xu Yilmaz "
    "Zimmermann Andersen Brown Chen Dubois Evans Ferreira Gomez Horvat Ivanova "
    "Jovanovic Kim Larsen"
)
TITLES = {
    "scrum_master": (
        "Certified ScrumMaster",
        "Certified ScrumMaster (remote)",
        "CSM public class",
        "CSM in-house class",
    ),
    "product_owner": (
        "Certified Scrum Product Owner",
        "CSPO public class",
        "CSPO in-house class",
    ),
    "other": ("Scrum for executives", "Kanban with Scrum", "Agile leadership workshop"),
}
CO_TRAINERS = ("Rebecca Hart, CST", "Jonas Weber, CST", "Amara Nwosu, CST", "Liu Yang, CST")
PLACES = ("Berlin", "Munich", "Vienna", "Zurich", "Amsterdam", "London", "Lisbon", "Online")
ORGANISATIONS = (
    "Nordlicht Bank",
    "Alpenrad Logistics",
    "Kiwi Health",
    "Blue Harbour Insurance",
    "Solis Energy",
    "Tessera Games",
    "Civic Data Lab",
    "Brightwater Retail",
)
REFLECTIONS = (
    "Shortened the lecture parts after the students' feedback.",
    "Co-trainer suggested more practice on refinement; added an exercise.",
    "Students asked for more examples from regulated industries.",
)
REJECTION_NOTES = (
    "Please attach the attendee list.",
    "The dates do not match the certificate.",
    "Which organisation was this for?",
)
FEEDBACK = (
    "Good progress this quarter; keep logging reflections after each class.",
    "Let us talk about your course materials before the next review.",
    "Your last classes qualify; two more with current materials would help.",
    "Please add the co-trainer's name to the co-trained sessions.",
)


@dataclass(frozen=True)
class Login:
    """Someone to open pages as."""

    role: str
    user_id: int
    email: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Dataset:
    """What ``generate`` made: a login per role and each table's row count."""

    admin: Login
    mentor: Login  # the candidate's mentor
    candidate: Login  # the candidate with the most teaching sessions, on two pathways
    enrollment_id: int  # one of that candidate's enrollments
    rows: dict[str, int]
    seconds: float


# -- SQL building blocks ------------------------------------------------------------


def lit(value: str) -> str:
    """A SQL string literal of one of our own constants."""
    return "'" + value.replace("'", "''") + "'"


def one_of(r: str, values: Sequence[str]) -> str:
    """An array element picked by ``r`` in [0, 1): uniform over ``values``."""
    return f"(ARRAY[{', '.join(lit(v) for v in values)}])[1 + floor({r} * {len(values)})::int]"


def weighted(r: str, choices: Sequence[tuple[str, float]]) -> str:
    """A CASE that picks a value by ``r`` in [0, 1), with the given weights."""
    total = sum(weight for _value, weight in choices)
    arms, below = [], 0.0
    for value, weight in choices[:-1]:
        below += weight / total
        arms.append(f"WHEN {r} < {below:.6f} THEN {value}")
    return f"CASE {' '.join(arms)} ELSE {choices[-1][0]} END"


def labelled(column: str, choices: Iterable[tuple[str, str]]) -> str:
    """The label people see for a stored choice, as the kinds' summaries show it."""
    arms = " ".join(f"WHEN {lit(value)} THEN {lit(label)}" for value, label in choices)
    return f"CASE {column} {arms} ELSE {column} END"


def choices_of(slug: str, field: str, weights: dict[str, float]) -> list[tuple[str, float]]:
    """``weights`` as weighted SQL literals, each checked against the kind's choices."""
    allowed = KINDS[slug].spec(field).choice_values
    if unknown := set(weights) - set(allowed):
        raise ValueError(f"{slug}.{field}: {sorted(unknown)} are not choices")
    return [(lit(value), weight) for value, weight in weights.items()]


def name_of(index: str) -> str:
    """A person's name from a number: first and last names combined."""
    first = f"(ARRAY[{', '.join(lit(n) for n in FIRST_NAMES)}])[1 + ({index}) % {len(FIRST_NAMES)}]"
    last = (
        f"(ARRAY[{', '.join(lit(n) for n in LAST_NAMES)}])"
        f"[1 + (({index}) / {len(FIRST_NAMES)} + ({index}) * 7) % {len(LAST_NAMES)}]"
    )
    return f"{first} || ' ' || {last}"


def days_between(start: str, end: str, r: str) -> str:
    """A day from ``start`` to ``end`` (dates, both included), picked by ``r``."""
    return f"({start} + floor({r} * (({end}) - ({start}) + 1))::int)"


def moment_on(day: str, r: str) -> str:
    """A time of office hours on ``day``, never after now."""
    return f"LEAST({day} + interval '8 hours' + {r} * interval '10 hours', now())"


# -- The steps -----------------------------------------------------------------------


def _people(conn: Connection, candidates: int, password_hash: str) -> None:
    """Admins, mentors and candidates; ``tp_cand`` keeps each candidate's numbers."""
    mentors = max(1, round(candidates / CANDIDATES_PER_MENTOR))
    admins = max(1, candidates // CANDIDATES_PER_ADMIN)
    conn.execute(
        text(f"""
        CREATE TEMP TABLE tp_cand AS
        SELECT i AS idx,
               CURRENT_DATE - (180 + floor(random() * ({YEARS} * 365 - 180)))::int AS start_day,
               1 + floor(random() * {mentors})::int AS mentor_idx,
               random() AS r_mentor, random() AS r_paths, random() AS r_weight,
               random() AS r_active
        FROM generate_series(1, {candidates}) AS i
        """)
    )
    staff_since = f"now() - interval '{YEARS} years 60 days'"
    conn.execute(
        text(f"""
        INSERT INTO users (email, name, password_hash, role, is_active, session_version,
                           created_at)
        SELECT CASE WHEN i = 1 THEN 'admin@{DOMAIN}' ELSE 'admin' || i || '@{DOMAIN}' END,
               {name_of("i + 7")}, :hash, 'admin', true, 1, {staff_since} + i * interval '1 day'
        FROM generate_series(1, {admins}) AS i
        UNION ALL
        SELECT 'mentor' || i || '@{DOMAIN}', {name_of("i * 13 + 5")}, :hash, 'mentor', true, 1,
               {staff_since} + interval '30 days' + i * interval '2 hours'
        FROM generate_series(1, {mentors}) AS i
        UNION ALL
        SELECT email, name, :hash, 'candidate', active, 1, created_at FROM (
            SELECT 'candidate' || idx || '@{DOMAIN}' AS email, {name_of("idx")} AS name,
                   r_active > 0.02 AS active,
                   start_day + interval '9 hours' + (idx % 480) * interval '1 minute'
                       AS created_at
            FROM tp_cand ORDER BY start_day, idx
        ) AS c
        """),
        {"hash": password_hash},
    )
    # Each candidate's user, mentor (4 % have none: the admin reviews theirs), weight.
    conn.execute(
        text(f"""
        CREATE TEMP TABLE tp_people AS
        SELECT c.*, u.id AS user_id, u.name AS user_name, u.created_at,
               CASE WHEN c.r_mentor < 0.96 THEN m.id END AS mentor_id,
               m.name AS mentor_name,
               (SELECT min(id) FROM users WHERE role = 'admin') AS admin_id,
               ((CURRENT_DATE - c.start_day) * (0.5 + c.r_weight))::numeric AS weight
        FROM tp_cand AS c
        JOIN users AS u ON u.email = 'candidate' || c.idx || '@{DOMAIN}'
        JOIN users AS m ON m.email = 'mentor' || c.mentor_idx || '@{DOMAIN}'
        """)
    )
    conn.execute(text("ALTER TABLE tp_people ADD PRIMARY KEY (user_id)"))


def _mentorships(conn: Connection, mentors: int) -> None:
    """The active mentor of each candidate; 10 % had another mentor before."""
    conn.execute(
        text(f"""
        CREATE TEMP TABLE tp_earlier AS
        SELECT p.user_id, m.id AS mentor_id, m.name AS mentor_name,
               p.created_at AS started_at,
               p.created_at + (now() - p.created_at) * (0.2 + 0.5 * random()) AS ended_at
        FROM tp_people AS p
        JOIN users AS m ON m.email = 'mentor' || (1 + (p.mentor_idx % {mentors})) || '@{DOMAIN}'
        WHERE p.mentor_id IS NOT NULL AND p.r_mentor < 0.096 AND {mentors} > 1
        """)
    )
    conn.execute(
        text("""
        INSERT INTO mentorships (mentor_id, candidate_id, assigned_by, started_at, ended_at,
                                 ended_by)
        SELECT mentor_id, candidate_id, admin_id, started_at, ended_at, ended_by FROM (
            SELECT e.mentor_id, e.user_id AS candidate_id, p.admin_id, e.started_at,
                   e.ended_at, p.admin_id AS ended_by
            FROM tp_earlier AS e JOIN tp_people AS p USING (user_id)
            UNION ALL
            SELECT p.mentor_id, p.user_id, p.admin_id,
                   COALESCE(e.ended_at, p.created_at + interval '1 hour'), NULL, NULL
            FROM tp_people AS p LEFT JOIN tp_earlier AS e USING (user_id)
            WHERE p.mentor_id IS NOT NULL
        ) AS m ORDER BY started_at
        """)
    )


def _paths(ruleset: Ruleset) -> dict[str, list[tuple[str, str, str]]]:
    """The shortest series of events (event, from, to) from the start to each state."""
    moves: dict[str, list[tuple[str, str]]] = {}
    for source, event, target, _guards in ruleset.transitions():
        if event not in ("withdraw", "resume") and source != target:
            moves.setdefault(source, []).append((event, target))
    found: dict[str, list[tuple[str, str, str]]] = {ruleset.initial_state: []}
    queue = deque([ruleset.initial_state])
    while queue:
        state = queue.popleft()
        for event, target in moves.get(state, []):
            if target not in found:
                found[target] = [*found[state], (event, state, target)]
                queue.append(target)
    return found


def _state_table(conn: Connection) -> None:
    """``tp_state``: where enrollments stand, with weights; ``tp_step``: how they got there.

    Most prepare; a fifth are further on; some finished; some withdrew, mostly while
    preparing.
    """
    states, steps = [], []
    for ruleset in RULESETS.values():
        paths = _paths(ruleset)
        initial, withdrawn = ruleset.initial_state, ruleset.withdrawn_state
        final = [s.value for s in ruleset.states if s.final]
        middle = [s for s in paths if s != initial and s not in final]
        choices: list[tuple[str, str | None, float]] = [(initial, None, 0.68)]
        choices += [(state, None, 0.21 / len(middle)) for state in middle]
        choices += [(state, None, 0.05 / len(final)) for state in final]
        if withdrawn is not None:
            choices += [(withdrawn, initial, 0.04)]
            choices += [(withdrawn, state, 0.02 / len(middle)) for state in middle]
        below = 0.0
        for state, was, weight in choices:
            path = list(paths[was or state])
            if was is not None:
                path.append(("withdraw", was, state))
            key = (ruleset.id, state, was)
            states.append({"rs": key[0], "st": state, "was": was, "lo": below, "n": len(path)})
            below += weight
            for number, (event, source, target) in enumerate(path, start=1):
                steps.append(
                    {
                        "rs": key[0],
                        "st": state,
                        "was": was,
                        "k": number,
                        "event": event,
                        "source": source,
                        "target": target,
                        "by_candidate": bool(set(ruleset.who[event]) & CANDIDATE),
                        "note": f"Recorded: {ruleset.history_label(event).lower()}."
                        if event in ruleset.notes_required
                        else None,
                    }
                )
    conn.execute(
        text("CREATE TEMP TABLE tp_state (rs text, st text, was text, lo float8, hi float8, n int)")
    )
    conn.execute(
        text("INSERT INTO tp_state (rs, st, was, lo, n) VALUES (:rs, :st, :was, :lo, :n)"),
        states,
    )
    conn.execute(
        text(
            "UPDATE tp_state AS s SET hi = COALESCE((SELECT min(lo) FROM tp_state AS t "
            "WHERE t.rs = s.rs AND t.lo > s.lo), 1.0)"
        )
    )
    conn.execute(
        text(
            "CREATE TEMP TABLE tp_step (rs text, st text, was text, k int, event text, "
            "source text, target text, by_candidate bool, note text)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO tp_step VALUES (:rs, :st, :was, :k, :event, :source, :target, "
            ":by_candidate, :note)"
        ),
        steps,
    )


def _enrollments(conn: Connection) -> None:
    """CST only (45 %), PST only (35 %), both (17 %) or none yet; rulesets and tracks."""
    _state_table(conn)
    conn.execute(
        text("""
        CREATE TEMP TABLE tp_enrol AS
        SELECT p.user_id, p.mentor_id, p.admin_id, e.pathway, e.rs, e.track,
               p.created_at + random() * interval '40 days' AS created_at,
               random() AS r_state, random() AS r_spread
        FROM tp_people AS p
        CROSS JOIN LATERAL (
            SELECT 'cst' AS pathway,
                   CASE WHEN random() < 0.7 THEN 'cst@2' ELSE 'cst@1' END AS rs,
                   random() AS r_track
            WHERE p.r_paths < 0.62
            UNION ALL
            SELECT 'pst', CASE WHEN random() < 0.7 THEN 'pst@2' ELSE 'pst@1' END, 0
            WHERE p.r_paths >= 0.45 AND p.r_paths < 0.97
        ) AS e0
        CROSS JOIN LATERAL (
            SELECT e0.pathway, e0.rs,
                   CASE WHEN e0.rs = 'cst@2' THEN
                       CASE WHEN e0.r_track < 0.65 THEN 'scrum_master' ELSE 'product_owner' END
                   END AS track
        ) AS e
        """)
    )
    conn.execute(
        text("""
        CREATE TEMP TABLE tp_enrol_state AS
        SELECT e.*, s.st, s.was, s.n,
               LEAST(e.created_at, now()) AS made_at
        FROM tp_enrol AS e
        JOIN tp_state AS s ON s.rs = e.rs AND e.r_state >= s.lo AND e.r_state < s.hi
        """)
    )
    # The events fired, spread between the enrollment and now, in order.
    conn.execute(
        text("""
        CREATE TEMP TABLE tp_history AS
        SELECT e.user_id, e.pathway, t.k, t.event, t.source, t.target, t.note,
               CASE WHEN t.by_candidate THEN e.user_id
                    ELSE COALESCE(e.mentor_id, e.admin_id) END AS actor_id,
               e.made_at + (now() - e.made_at) * (t.k - 0.5 + 0.4 * e.r_spread) / (e.n + 0.5)
                   AS at
        FROM tp_enrol_state AS e
        JOIN tp_step AS t ON t.rs = e.rs AND t.st = e.st AND t.was IS NOT DISTINCT FROM e.was
        """)
    )
    conn.execute(
        text("""
        INSERT INTO enrollments (candidate_id, pathway, ruleset, track, state, withdrawn_from,
                                 created_at, updated_at, version)
        SELECT e.user_id, e.pathway, e.rs, e.track, e.st, e.was, e.made_at,
               COALESCE(h.last_at, e.made_at), 1 + e.n
        FROM tp_enrol_state AS e
        LEFT JOIN (SELECT user_id, pathway, max(at) AS last_at FROM tp_history
                   GROUP BY user_id, pathway) AS h USING (user_id, pathway)
        ORDER BY e.made_at
        """)
    )
    conn.execute(
        text("""
        INSERT INTO enrollment_history (enrollment_id, event, from_state, to_state, actor_id,
                                        note, at)
        SELECT n.id, h.event, h.source, h.target, h.actor_id, h.note, h.at
        FROM tp_history AS h
        JOIN enrollments AS n ON n.candidate_id = h.user_id AND n.pathway = h.pathway
        ORDER BY h.at
        """)
    )


@dataclass(frozen=True)
class Kind:
    """How one evidence table is filled: its rows per candidate and its own columns.

    ``columns`` are SQL expressions over the staging row ``s`` (``s.day`` is the day it
    happened; ``s.r1`` .. ``s.r8`` are random numbers); ``summary`` is the audit detail,
    as the kind's summary reads.
    """

    slug: str
    table: str
    count: str  # rows per candidate, over tp_people ``p``
    day: str  # the day it happened, over ``q``: start_day, r_weight and a random r_day
    columns: dict[str, str]
    summary: Callable[[str], str]  # over the inserted table's alias


def _kinds(sessions: int) -> list[Kind]:
    cum = "sum(p.weight) OVER (ORDER BY p.user_id)"
    total = "sum(p.weight) OVER ()"
    # Exactly ``sessions`` in all: each candidate's share of the cumulative weight.
    session_count = (
        f"(floor({cum} * {sessions} / {total}) - floor(({cum} - p.weight) * {sessions} / {total}))"
    )

    def spread(low: int, high: int) -> str:
        return f"{low} + floor(random() * {high - low + 1})::int"

    course = weighted(
        "s.r1",
        choices_of(
            "teaching-sessions",
            "course_type",
            {"scrum_master": 55, "product_owner": 35, "other": 10},
        ),
    )
    title = " ".join(
        f"WHEN {lit(key)} THEN {one_of('s.r2', values)}" for key, values in TITLES.items()
    )
    co_trained = "s.r3 < 0.55"
    assessments = KINDS["assessments"].spec("assessment").choices
    credentials = KINDS["credentials"].spec("kind").choices
    roles = KINDS["experience"].spec("role").choices
    milestones = KINDS["milestones"].spec("kind").choices
    credential = one_of("s.r1", [value for value, _ in credentials])
    return [
        Kind(
            "teaching-sessions",
            "teaching_sessions",
            session_count,
            days_between("q.start_day", "CURRENT_DATE", "q.r_day"),
            {
                "course_type": course,
                "title": f"CASE {course} {title} END",
                "first_day": "s.day",
                "days": weighted("s.r4", [("1", 18), ("2", 66), ("3", 13), ("4", 2), ("5", 1)]),
                "students": "4 + floor(s.r5 * s.r5 * 36)::int",
                "context": f"CASE WHEN {co_trained} THEN 'co_trained' ELSE 'independent' END",
                "co_trainer": f"CASE WHEN {co_trained} THEN {one_of('s.r2', CO_TRAINERS)} END",
                "location": f"CASE WHEN s.r4 < 0.9 THEN {one_of('s.r5', PLACES)} END",
                "notes": "CASE WHEN s.r2 < 0.1 THEN 'Evening sessions over two weeks.' END",
                "share_delivered": f"CASE WHEN NOT {co_trained} OR s.r5 < 0.4 THEN 100 "
                "ELSE 20 + 10 * floor(s.r4 * 8)::int END",
                "with_current_materials": "s.r6 < 0.5",
                "reflection": f"CASE WHEN s.r7 < 0.25 THEN '' "
                f"ELSE {one_of('s.r8', REFLECTIONS)} END",
            },
            lambda t: (
                f"{t}.title || ': ' || {t}.students || ' students, ' || {t}.days || "
                f"CASE WHEN {t}.days = 1 THEN ' day' ELSE ' days' END || ' from ' || "
                f"to_char({t}.first_day, 'YYYY-MM-DD')"
            ),
        ),
        Kind(
            "assessments",
            "assessment_attempts",
            spread(*PER_CANDIDATE["assessments"]),
            days_between(f"q.start_day - {3 * 365}", "CURRENT_DATE", "q.r_day"),
            {
                "assessment": one_of("s.r1", [value for value, _ in assessments]),
                "score": "round((60 + 40 * sqrt(s.r2))::numeric * 2) / 2",
                "taken_on": "s.day",
                "passport_received_on": "CASE WHEN s.r3 < 0.4 THEN s.day - "
                "floor(s.r4 * 60)::int END",
            },
            lambda t: (
                f"{labelled(f'{t}.assessment', assessments)} || ': ' || "
                f"trim_scale({t}.score::numeric) || '% on ' || to_char({t}.taken_on, 'YYYY-MM-DD')"
            ),
        ),
        Kind(
            "credentials",
            "credentials",
            spread(*PER_CANDIDATE["credentials"]),
            days_between(f"q.start_day - {5 * 365}", "CURRENT_DATE", "q.r_day"),
            {
                "kind": credential,
                "issued_on": "s.day",
                "expires_on": "CASE WHEN s.r2 < 0.1 THEN s.day + 365 * 3 END",
                # As the kind derives it: Scrum Alliance credentials last two years.
                "valid_until": "CASE WHEN s.r2 < 0.1 THEN s.day + 365 * 3 "
                f"WHEN {credential} IN ({', '.join(lit(k) for k in sorted(SCRUM_ALLIANCE_KINDS))}) "
                f"THEN (s.day + interval '{SCRUM_ALLIANCE_VALIDITY_YEARS} years')::date END",
            },
            lambda t: (
                f"{labelled(f'{t}.kind', credentials)} || ' issued ' || "
                f"to_char({t}.issued_on, 'YYYY-MM-DD') || COALESCE(', valid until ' || "
                f"to_char({t}.valid_until, 'YYYY-MM-DD'), ', no expiry')"
            ),
        ),
        Kind(
            "experience",
            "experience_periods",
            spread(*PER_CANDIDATE["experience"]),
            # Periods follow each other from four to twelve years before the start.
            "q.start_day - (4 * 365 + floor(q.r_weight * 8 * 365))::int",
            {
                "role": weighted(
                    "s.r1",
                    choices_of(
                        "experience",
                        "role",
                        {
                            "scrum_master": 35,
                            "product_owner": 25,
                            "team_member": 20,
                            "agile_coach": 15,
                            "other": 5,
                        },
                    ),
                ),
                "organisation": one_of("s.r2", ORGANISATIONS),
                "started_on": "s.day + ((CURRENT_DATE - s.day) * (s.k - 1) / s.n)",
                "ended_on": "CASE WHEN s.k < s.n OR s.r3 < 0.2 THEN LEAST(s.day + "
                "((CURRENT_DATE - s.day) * s.k / s.n) - floor(s.r4 * 30)::int, CURRENT_DATE) "
                "END",
            },
            lambda t: (
                f"{labelled(f'{t}.role', roles)} || ' at ' || {t}.organisation || ', ' || "
                f"to_char({t}.started_on, 'YYYY-MM-DD') || ' to ' || "
                f"COALESCE(to_char({t}.ended_on, 'YYYY-MM-DD'), 'now')"
            ),
        ),
        Kind(
            "milestones",
            "milestones",
            spread(*PER_CANDIDATE["milestones"]),
            days_between("q.start_day", "CURRENT_DATE", "q.r_day"),
            {
                "kind": one_of("s.r1", [value for value, _ in milestones]),
                "achieved_on": "s.day",
                "note": "CASE WHEN s.r2 < 0.3 THEN 'Signed off by the review panel.' END",
            },
            lambda t: (
                f"{labelled(f'{t}.kind', milestones)} || ' on ' || "
                f"to_char({t}.achieved_on, 'YYYY-MM-DD')"
            ),
        ),
    ]


def _evidence(conn: Connection, kind: Kind) -> None:
    """Stage the kind's rows with their random numbers, then insert them in logging order.

    Items logged in the last month are mostly still pending; older ones were reviewed
    (83 % verified, 5 % rejected with a note), by the mentor or, without one, the admin.
    """
    conn.execute(text("DROP TABLE IF EXISTS tp_stage"))
    conn.execute(
        text(f"""
        CREATE TEMP TABLE tp_stage AS
        SELECT q.*, {kind.day} AS day FROM (
            SELECT p.user_id, p.start_day, p.r_weight, g.k, p.n,
                   COALESCE(CASE WHEN random() < 0.95 THEN p.mentor_id END, p.admin_id)
                       AS reviewer_id,
                   random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                   random() AS r5, random() AS r6, random() AS r7, random() AS r8,
                   random() AS r_day, random() AS r_logged, random() AS r_review,
                   random() AS r_delay
            FROM (SELECT p.*, {kind.count} AS n FROM tp_people AS p OFFSET 0) AS p
            CROSS JOIN LATERAL generate_series(1, p.n::int) AS g(k)
            OFFSET 0
        ) AS q
        """)
    )
    columns = ", ".join(kind.columns)
    values = ", ".join(f"{expr} AS {name}" for name, expr in kind.columns.items())
    logged = f"{moment_on('GREATEST(s.day, s.start_day) + floor(s.r_logged * 20)::int', 's.r5')}"
    conn.execute(
        text(f"""
        INSERT INTO {kind.table} (candidate_id, review_status, review_note, reviewed_by,
                                  reviewed_at, created_at, updated_at, {columns})
        SELECT user_id, status, CASE WHEN status = 'rejected' THEN rejection END,
               CASE WHEN status <> 'pending' THEN reviewer_id END,
               CASE WHEN status <> 'pending' THEN reviewed_at END,
               created_at,
               CASE WHEN status <> 'pending' THEN reviewed_at ELSE created_at END,
               {columns}
        FROM (
            SELECT s.user_id, s.reviewer_id, l.created_at,
                   CASE WHEN s.r_review < CASE WHEN l.created_at > now() - interval '30 days'
                                               THEN 0.7 ELSE 0.12 END THEN 'pending'
                        WHEN s.r_review > 0.95 THEN 'rejected'
                        ELSE 'verified' END AS status,
                   {one_of("s.r_delay", REJECTION_NOTES)} AS rejection,
                   LEAST(l.created_at + interval '2 hours' + s.r_delay * interval '20 days',
                         now()) AS reviewed_at,
                   {values}
            FROM tp_stage AS s
            CROSS JOIN LATERAL (SELECT {logged} AS created_at) AS l
        ) AS x
        ORDER BY x.created_at
        """)
    )


def _feedback(conn: Connection) -> None:
    """Notes from mentors, some about one enrollment."""
    low, high = FEEDBACK_PER_CANDIDATE
    conn.execute(
        text(f"""
        INSERT INTO feedback (candidate_id, author_id, enrollment_id, body, created_at)
        SELECT user_id, mentor_id, enrollment_id, body, created_at FROM (
            SELECT p.user_id, p.mentor_id,
                   CASE WHEN random() < 0.5 THEN
                       (SELECT min(e.id) FROM enrollments AS e WHERE e.candidate_id = p.user_id)
                   END AS enrollment_id,
                   {one_of("random()", FEEDBACK)} AS body,
                   p.created_at + (now() - p.created_at) * random() AS created_at
            FROM (
                SELECT p.*, {low} + floor(random() * {high - low + 1})::int AS n
                FROM tp_people AS p WHERE p.mentor_id IS NOT NULL OFFSET 0
            ) AS p
            CROSS JOIN LATERAL generate_series(1, p.n)
        ) AS f ORDER BY created_at
        """)
    )


def _audit(conn: Connection, kinds: Sequence[Kind]) -> None:
    """The audit row of every change above, oldest first (ids follow time, as in use)."""
    evidence = []
    for kind in kinds:
        summary = kind.summary("t")
        evidence.append(f"""
            SELECT t.created_at, t.candidate_id, t.candidate_id, 'evidence.logged',
                   '{kind.slug}/' || t.id, {summary}
            FROM {kind.table} AS t
            UNION ALL
            SELECT t.reviewed_at, t.reviewed_by, t.candidate_id, 'evidence.' || t.review_status,
                   '{kind.slug}/' || t.id,
                   {summary} || COALESCE(' (note: ' || t.review_note || ')', '')
            FROM {kind.table} AS t WHERE t.review_status <> 'pending'""")
    conn.execute(
        text(f"""
        INSERT INTO audit_log (at, actor_id, candidate_id, action, subject, detail)
        SELECT * FROM (
            SELECT u.created_at, CASE WHEN u.role = 'admin' AND u.id = a.id THEN NULL
                                      ELSE a.id END,
                   CASE WHEN u.role = 'candidate' THEN u.id END, 'user.created',
                   'users/' || u.id, u.email || ' as ' || u.role
            FROM users AS u CROSS JOIN (SELECT min(id) AS id FROM users WHERE role = 'admin') a
            UNION ALL
            SELECT m.started_at, m.assigned_by, m.candidate_id, 'mentorship.started',
                   'mentorships/' || m.id, mu.name || ' mentors ' || cu.name
            FROM mentorships AS m JOIN users AS mu ON mu.id = m.mentor_id
            JOIN users AS cu ON cu.id = m.candidate_id
            UNION ALL
            SELECT m.ended_at, m.ended_by, m.candidate_id, 'mentorship.ended',
                   'mentorships/' || m.id, NULL
            FROM mentorships AS m WHERE m.ended_at IS NOT NULL
            UNION ALL
            SELECT e.created_at, e.candidate_id, e.candidate_id, 'enrollment.created',
                   'enrollments/' || e.id, e.ruleset || COALESCE(' (' || e.track || ')', '')
            FROM enrollments AS e
            UNION ALL
            SELECT h.at, h.actor_id, e.candidate_id, 'enrollment.transition',
                   'enrollments/' || e.id,
                   h.event || ': ' || h.from_state || ' → ' || h.to_state
                       || COALESCE(' (note: ' || h.note || ')', '')
            FROM enrollment_history AS h JOIN enrollments AS e ON e.id = h.enrollment_id
            UNION ALL
            SELECT f.created_at, f.author_id, f.candidate_id, 'feedback.left',
                   'feedback/' || f.id, f.body
            FROM feedback AS f
            UNION ALL
            {" UNION ALL ".join(evidence)}
        ) AS a ORDER BY 1
        """)
    )


def _standings(engine: Engine, batch: int = STANDINGS_BATCH) -> None:
    """Each enrollment's stored standing, measured as the app measures it (a batch of
    candidates at a time), so pages read what they read after real use."""
    with engine.connect() as conn:
        people = list(
            conn.execute(text("SELECT DISTINCT candidate_id FROM enrollments ORDER BY 1")).scalars()
        )
    today = clock.today()
    for start in range(0, len(people), batch):
        with Session(engine) as session:
            standings.refresh(session, people[start : start + batch], today)
            session.commit()


def _vacuum(engine: Engine, table: str = "") -> None:
    with engine.connect() as conn:
        conn.execute(text(f"VACUUM ANALYZE {table}"))


def _counts(conn: Connection) -> dict[str, int]:
    tables = [table.name for table in SQLModel.metadata.sorted_tables]
    return {
        table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        for table in tables
    }


def _logins(conn: Connection) -> tuple[Login, Login, Login, int]:
    """The first admin; the candidate on two pathways with the most teaching sessions (and
    one of their enrollments); that candidate's mentor."""
    admin = conn.execute(
        text("SELECT id, email FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
    ).one()
    candidate = conn.execute(
        text("""
        SELECT u.id, u.email, min(e.id) AS enrollment_id, min(m.mentor_id) AS mentor_id
        FROM users AS u
        JOIN enrollments AS e ON e.candidate_id = u.id
        JOIN mentorships AS m ON m.candidate_id = u.id AND m.ended_at IS NULL
        WHERE u.is_active
        GROUP BY u.id, u.email HAVING count(DISTINCT e.pathway) = 2
        ORDER BY (SELECT count(*) FROM teaching_sessions AS t WHERE t.candidate_id = u.id) DESC,
                 u.id
        LIMIT 1
        """)
    ).one()
    mentor = conn.execute(
        text("SELECT id, email FROM users WHERE id = :id"), {"id": candidate.mentor_id}
    ).one()
    return (
        Login("admin", admin.id, admin.email),
        Login("mentor", mentor.id, mentor.email),
        Login("candidate", candidate.id, candidate.email),
        int(candidate.enrollment_id),
    )


def _refuse_unless_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.execute(text("SELECT EXISTS (SELECT FROM users)")).scalar_one():
            raise SystemExit("bigdata.py: the database already has users; give an empty one")


def generate(
    url: str,
    candidates: int,
    sessions: int,
    *,
    seed: int = 1,
    say: Callable[[str], None] = print,
) -> Dataset:
    """Migrate the empty PostgreSQL database at ``url`` and fill it; print the logins."""
    if candidates < 1 or sessions < 0:
        raise ValueError("at least one candidate and no negative number of sessions")
    started = time.perf_counter()
    engine = create_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("bigdata.py: the large dataset is generated on PostgreSQL only")
    try:
        migrate.upgrade(engine)
        _refuse_unless_empty(engine)
        kinds = _kinds(sessions)
        mentors = max(1, round(candidates / CANDIDATES_PER_MENTOR))
        password_hash = generate_password_hash(PASSWORD, method=CHEAP_HASH)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(text("SET LOCAL work_mem = '64MB'"))
            # Every random() below follows from the seed: the same seed, the same data.
            conn.execute(text("SELECT setseed(:s)"), {"s": random.Random(seed).uniform(-1, 1)})
            steps: list[tuple[str, Callable[[], None]]] = [
                ("users", lambda: _people(conn, candidates, password_hash)),
                ("mentorships", lambda: _mentorships(conn, mentors)),
                ("enrollments", lambda: _enrollments(conn)),
                *[(kind.table, partial(_evidence, conn, kind)) for kind in kinds],
                ("feedback", lambda: _feedback(conn)),
                ("audit_log", lambda: _audit(conn, kinds)),
            ]
            for name, step in steps:
                began = time.perf_counter()
                step()
                say(f"  {name}: {time.perf_counter() - began:.1f} s")
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        for name, step in [
            ("vacuum analyze", lambda: _vacuum(autocommit)),  # statistics for measuring
            ("standings", lambda: _standings(engine)),
            ("vacuum analyze standings", lambda: _vacuum(autocommit, "standings")),
        ]:
            began = time.perf_counter()
            step()
            say(f"  {name}: {time.perf_counter() - began:.1f} s")
        with engine.connect() as conn:
            rows = _counts(conn)
            admin, mentor, candidate, enrollment_id = _logins(conn)
    finally:
        engine.dispose()
    dataset = Dataset(admin, mentor, candidate, enrollment_id, rows, time.perf_counter() - started)
    for login in (admin, mentor, candidate):
        say(f"{login.role:>9}: {login.email} / {login.password}")
    return dataset


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and generate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000, help="teaching sessions")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    dataset = generate(args.database_url, args.candidates, args.sessions, seed=args.seed)
    for table, count in dataset.rows.items():
        print(f"{table:>20}: {count:>10,}")
    print(f"generated in {dataset.seconds:.0f} s")


if __name__ == "__main__":
    main()
