import pytest

from planner import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.CRSError, ValueError),
        (errors.ConfigError, ValueError),
        (errors.ValidationError, ValueError),
        (errors.StoreError, OSError),
        (errors.StoreLockedError, OSError),
        (errors.ParcelNotFoundError, KeyError),
        (errors.VersionConflictError, RuntimeError),
    ],
)
def test_every_error_is_also_a_builtin(cls, builtin):
    assert issubclass(cls, errors.PlannerError)
    assert issubclass(cls, builtin)


def test_validation_error_names_parcel_and_field_and_says_nothing_was_written():
    problems = [
        errors.Problem("error", "P1", "status", "'sold' is not allowed"),
        errors.Problem("warning", "P2", "holder", "no holder"),
        errors.Problem("error", None, "parcel_id", "a value is required", row=7),
    ]
    exc = errors.ValidationError(problems)
    text = str(exc)
    assert "2 problem(s)" in text
    assert "nothing was written" in text
    assert "parcel 'P1', field `status`: 'sold' is not allowed" in text
    assert "row 7, field `parcel_id`: a value is required" in text
    assert "no holder" not in text  # warnings are kept in .problems, not in the message
    assert [p.parcel_id for p in exc.errors] == ["P1", None]


def test_version_conflict_says_what_to_do():
    exc = errors.VersionConflictError("P1", expected=3, current=4)
    assert "version 4" in str(exc)
    assert "based on version 3" in str(exc)
    assert "reload" in str(exc)


def test_parcel_not_found_reads_as_a_sentence():
    exc = errors.ParcelNotFoundError("no parcel has parcel_id 'X'")
    assert str(exc) == "no parcel has parcel_id 'X'"
