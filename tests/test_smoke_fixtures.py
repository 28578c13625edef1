"""The fixtures give each test an empty, migrated database."""

from trainerpath.pathways.requirements import Facts, students_taught


def test_students_taught_counts_verified_and_pending_separately(session, make_user, make_evidence):
    candidate = make_user()
    make_evidence(candidate, "teaching-sessions", students=73)
    make_evidence(candidate, "teaching-sessions", status="pending", students=20)
    make_evidence(candidate, "teaching-sessions", status="rejected", students=50)
    requirement = students_taught(Facts(session, candidate.id, __import__("datetime").date.today()))
    assert (requirement.current, requirement.pending, requirement.met) == (73, 20, False)
    assert requirement.message == "27 more students needed (20 waiting for review)"


def test_each_test_starts_empty(session, make_user):
    assert make_user().email == "candidate1@example.org"
