"""`recognitionStats`: grouped counts."""

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import errors_of, execute


async def test_group_by_year_and_type(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ recognitionStats(groupBy: [YEAR, TYPE], where: {subjectState: {eq: "AFG"}}) {
             year type count recognizer { iso3 } subject { __typename } } }""",
    )
    assert data["recognitionStats"] == [
        {"year": 1934, "type": "DE_JURE", "count": 1, "recognizer": None, "subject": None},
        {"year": 1997, "type": "DE_JURE", "count": 1, "recognizer": None, "subject": None},
        {"year": 1997, "type": "UNSPECIFIED", "count": 2, "recognizer": None, "subject": None},
        {"year": 2004, "type": "UNSPECIFIED", "count": 1, "recognizer": None, "subject": None},
        {"year": 2025, "type": "UNSPECIFIED", "count": 1, "recognizer": None, "subject": None},
    ]


async def test_group_by_subject_and_recognizer_as_of(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ bySubject: recognitionStats(groupBy: [SUBJECT], asOf: "2000-01-01") {
               count subject { ... on State { iso3 } ... on Government { key } } }
             byRecognizer: recognitionStats(groupBy: [RECOGNIZER]) { count recognizer { iso3 } }
             all: recognitionStats(groupBy: []) { count year } }""",
    )
    assert sorted(data["bySubject"], key=lambda g: g["count"]) == [
        {"count": 1, "subject": {"iso3": "AFG"}},
        {"count": 3, "subject": {"key": "AFG:islamic-emirate"}},
    ]
    assert {g["recognizer"]["iso3"]: g["count"] for g in data["byRecognizer"]} == {
        "ARE": 1,
        "PAK": 2,
        "SAU": 1,
        "RUS": 1,
        "USA": 1,
    }
    assert data["all"] == [{"count": 6, "year": None}]


async def test_a_key_twice_is_a_user_error(world: AsyncEngine) -> None:
    (error,) = await errors_of(world, "{ recognitionStats(groupBy: [YEAR, YEAR]) { count } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
