"""Read-only views of the data for the web pages: dashboards, queues, tables, outlines.

Nothing here changes data. The rules themselves live in services/ and pathways/; this
package arranges what they report into what a page shows (steps with dates, progress
bars, plain-language next steps, sortable rows). One module a part of the site:
enrollment (a pathway card), candidate, mentor, admin and outlines; people finds
candidates and mentors for search boxes; common holds the words and small lookups they share.
"""

from trainerpath.dashboards.admin import (
    active_mentorships,
    audit_trail,
    histories_of,
    user_rows,
)
from trainerpath.dashboards.candidate import (
    candidate_dashboard,
    evidence_rows,
    feedback_for,
    progress_overview,
)
from trainerpath.dashboards.candidates_table import (
    CandidateFilters,
    candidate_table,
)
from trainerpath.dashboards.enrollment import enrollment_view, enrollment_views
from trainerpath.dashboards.mentor import (
    candidate_evidence,
    candidates_waiting,
    queue_item,
    review_queue,
    reviews_waiting,
)
from trainerpath.dashboards.outlines import outlines_for, pathway_outline
from trainerpath.dashboards.people import PersonChoice, choose_person, find_people
from trainerpath.dashboards.reviews import item_histories, turnaround_for
from trainerpath.dashboards.standing import (
    CardExtras,
    card_extras,
    qualifying_marks,
    switch_choice,
)

__all__ = [
    "CandidateFilters",
    "CardExtras",
    "PersonChoice",
    "active_mentorships",
    "audit_trail",
    "candidate_dashboard",
    "candidate_evidence",
    "candidate_table",
    "candidates_waiting",
    "card_extras",
    "choose_person",
    "enrollment_view",
    "enrollment_views",
    "evidence_rows",
    "feedback_for",
    "find_people",
    "histories_of",
    "item_histories",
    "outlines_for",
    "pathway_outline",
    "progress_overview",
    "qualifying_marks",
    "queue_item",
    "review_queue",
    "reviews_waiting",
    "switch_choice",
    "turnaround_for",
    "user_rows",
]
