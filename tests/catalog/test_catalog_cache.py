"""The catalog pages read stacks, credentials and requirements from a per-process cache: a loaded stack file
shows on the next request, and a page costs one query however much the catalog or its counts hold."""

import pytest

from portal.catalog.loader import bundled_stack_paths

(BUNDLED,) = bundled_stack_paths()
PAGES = ["/", "/stacks/digital-equity", "/stacks/digital-equity/district-plan", "/stacks/digital-equity/foundations"]
OLD_TITLE = "Foundations of Digital Equity: Understanding the Homework Gap"
NEW_TITLE = "Foundations of Digital Equity: Closing the Homework Gap"
OLD_PROMPT = "Describe two or more key elements of what a successful district-wide initiative looks like"
NEW_PROMPT = "Describe three key elements of what a successful district-wide initiative looks like"


@pytest.fixture
def changed_file(tmp_path):
    text = BUNDLED.read_text()
    assert OLD_TITLE in text and OLD_PROMPT in text
    path = tmp_path / "digital-equity.toml"
    path.write_text(text.replace(OLD_TITLE, NEW_TITLE).replace(OLD_PROMPT, NEW_PROMPT))
    return path


def test_loading_a_changed_stack_file_shows_on_the_next_request(app, client, stack, changed_file):
    before = client.get("/stacks/digital-equity/district-plan").get_data(as_text=True)
    assert OLD_TITLE in before and OLD_PROMPT in before  # now cached (Foundations is its prerequisite)

    result = app.test_cli_runner().invoke(args=["catalog", "load", str(changed_file)])
    assert result.exit_code == 0, result.output

    after = client.get("/stacks/digital-equity/district-plan").get_data(as_text=True)
    assert NEW_PROMPT in after and OLD_PROMPT not in after
    assert f'<a href="/stacks/digital-equity/foundations">{NEW_TITLE}</a>' in after and OLD_TITLE not in after
    assert f"<h1>{NEW_TITLE}</h1>" in client.get("/stacks/digital-equity/foundations").get_data(as_text=True)
    assert NEW_TITLE in client.get("/stacks/digital-equity").get_data(as_text=True)


def test_a_stack_loaded_after_the_empty_index_was_cached_is_listed(app, client):
    assert "No credentials have been published yet." in client.get("/").get_data(as_text=True)

    app.test_cli_runner().invoke(args=["catalog", "load"])

    page = client.get("/").get_data(as_text=True)
    assert '<a href="/stacks/digital-equity">Digital Equity</a>' in page
    assert client.get("/stacks/digital-equity/district-plan").status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_catalog_page_costs_one_query(client, stack, count_queries, path):
    with count_queries() as cold:
        assert client.get(path).status_code == 200
    with count_queries() as warm:
        assert client.get(path).status_code == 200

    assert cold[0] <= 6  # the generations, the catalog in four queries and the earned counts
    assert warm[0] == 1  # the generations of the catalog and of the earned counts, in one query


def test_unknown_stack_and_credential_answer_404(client, stack):
    assert client.get("/stacks/nope").status_code == 404
    assert client.get("/stacks/nope/district-plan").status_code == 404
    assert client.get("/stacks/digital-equity/nope").status_code == 404


def test_titles_and_every_requirements_version_are_served_after_a_load(app, stack, changed_file):
    from sqlalchemy import select

    from portal.catalog import cached
    from portal.catalog.loader import load_stack
    from portal.catalog.models import Credential, Requirements
    from portal.catalog.services import sync_stack
    from portal.extensions import db

    plan = db.session.scalar(select(Credential).where(Credential.slug == "district-plan"))
    first = plan.requirements.id
    assert cached.credential_titles()[plan.id] == "Creating a District Plan for Digital Equity"

    sync_stack(load_stack(changed_file))
    db.session.commit()

    current = db.session.scalar(select(Requirements.id).where(Requirements.credential_id == plan.id,
                                                             Requirements.number == 2))
    assert cached.catalog_view().credentials_by_id[plan.id].requirements.id == current
    assert OLD_PROMPT in cached.requirements_view(first).parts[0].prompt  # drafts keep the version they began
    assert NEW_PROMPT in cached.requirements_view(current).parts[0].prompt
