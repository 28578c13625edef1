"""The pages and API views the benchmark reads: who asks for which path."""

from __future__ import annotations

from dataclasses import dataclass

from .dataset import Cast, Person

API = "/api/v1"


@dataclass(frozen=True)
class Route:
    """A GET the benchmark measures, as ``who`` (None: anonymous); ``smaller`` is the
    same route on a smaller subject, whose statement count should be the same."""

    label: str
    path: str
    who: Person | None
    smaller: tuple[Person, str] | None = None
    headline: bool = False  # one of the goals: measured in --quick runs too

    @property
    def api(self) -> bool:
        """Whether the route is a JSON API view (bearer token) rather than a page (cookie)."""
        return self.path.startswith(API + "/")


def routes(cast: Cast) -> list[Route]:
    """Every page and API view the benchmark reads, slowest suspects first."""
    heavy, light, heavy_2024, light_2024 = cast.heavy, cast.light, cast.heavy_2024, cast.light_2024
    busy, small = cast.busy_mentor, cast.small_mentor

    evidence = "/evidence/teaching-sessions"
    return [
        Route("GET /candidate (cst@1, pst@1)", "/candidate", heavy, (light, "/candidate"), True),
        Route(
            "GET /candidate (cst@2, pst@2)", "/candidate", heavy_2024, (light_2024, "/candidate")
        ),
        Route("GET /evidence/teaching-sessions", evidence, heavy, (light, evidence)),
        Route(
            "GET /evidence/teaching-sessions (cst@2)", evidence, heavy_2024, (light_2024, evidence)
        ),
        Route("GET /mentor/", "/mentor/", busy, (small, "/mentor/"), True),
        Route("GET /mentor/?ageing=1", "/mentor/?ageing=1", busy, (small, "/mentor/?ageing=1")),
        Route("GET /mentor/ (admin: everyone)", "/mentor/", cast.admin),
        Route("GET /mentor/reviews", "/mentor/reviews", busy, (small, "/mentor/reviews"), True),
        Route("GET /admin/audit", "/admin/audit", cast.admin),
        Route("GET /pathways/compare (anonymous)", "/pathways/compare", None),
        Route(
            "GET /pathways/compare (candidate)",
            "/pathways/compare",
            heavy,
            (light, "/pathways/compare"),
        ),
        Route(
            "API GET /enrollments/{id} (cst@1)",
            f"{API}/enrollments/{cast.heavy_cst}",
            heavy,
            (light, f"{API}/enrollments/{cast.light_cst}"),
            True,
        ),
        Route(
            "API GET /enrollments/{id} (cst@2)",
            f"{API}/enrollments/{cast.heavy_2024_cst}",
            heavy_2024,
            (light_2024, f"{API}/enrollments/{cast.light_2024_cst}"),
        ),
        Route("API GET /rulesets", f"{API}/rulesets", light),
        Route(
            "API GET /candidates?per_page=100",
            f"{API}/candidates?per_page=100",
            busy,
            (small, f"{API}/candidates?per_page=100"),
        ),
        Route(
            "API GET /candidates/{id}/export",
            f"{API}/candidates/{heavy.id}/export",
            heavy,
            (light, f"{API}/candidates/{light.id}/export"),
        ),
    ]
