"""The reviews fixtures, for the tests that follow a mail from a review back to its page."""

from tests.reviews.conftest import make_reviewer, submit_plan  # noqa: F401 -- fixtures, found by pytest by name
