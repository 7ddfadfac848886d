"""In Chromium, with the live app's database made unreachable for a while: autosave keeps the text in the browser,
says so, retries until the database is back and then saves it; a reload during the outage shows the friendly 503
page, and the draft page afterwards restores the text from the browser and saves it."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.submissions import services
from portal.submissions.models import Submission
from tests.browser.test_submission_flow import start_district_plan, wait_until_saved
from tests.faults import database_unreachable

KEPT_JS = "() => JSON.stringify(Object.entries(localStorage).filter(([k]) => k.startsWith('portal-draft:')))"


def live_engine(live_app):
    with live_app.app_context():
        return db.engine


def test_autosave_keeps_the_text_through_an_outage_and_saves_it_when_the_database_returns(
        page, make_account, sign_in, live_app):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    draft_url = start_district_plan(page)
    overview = page.locator("#overview-text")
    overview.press_sequentially("Saved before the outage.")
    wait_until_saved(page)

    with database_unreachable(live_engine(live_app)):
        overview.press_sequentially(" Typed during the outage.")
        expect(page.locator("#save-status")).to_have_text(
            "Not saved yet, retrying. Your text is kept in this browser.", timeout=10_000)
        assert "Typed during the outage." in page.evaluate(KEPT_JS)
        page.wait_for_timeout(2500)  # at least one retry fails too
        expect(page.locator("#save-status")).to_contain_text("Not saved yet, retrying")
    wait_until_saved(page)  # retried with backoff until the database answered
    assert page.evaluate(KEPT_JS) == "[]"  # saved, so nothing left to keep
    page.goto(draft_url)
    expect(overview).to_have_value("Saved before the outage. Typed during the outage.")


def test_text_typed_during_an_outage_survives_a_reload_and_is_saved_later(page, make_account, sign_in, live_app,
                                                                        assert_accessible):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    draft_url = start_district_plan(page)
    overview = page.locator("#overview-text")

    with database_unreachable(live_engine(live_app)):
        overview.press_sequentially("Written while the portal could not save.")
        expect(page.locator("#save-status")).to_contain_text("Not saved yet, retrying", timeout=10_000)
        page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?": the text is in the browser
        response = page.reload()
        assert response.status == 503 and response.headers["retry-after"] == "30"
        expect(page.get_by_role("heading", level=1)).to_have_text("The portal is briefly unavailable")
        assert_accessible(page, "the outage page")

    page.goto(draft_url)
    expect(page.locator("#restored-notice")).to_contain_text("restored from this browser")
    assert_accessible(page, "draft page with text restored from the browser")
    expect(overview).to_have_value("Written while the portal could not save.")
    wait_until_saved(page)
    page.goto(draft_url)
    expect(overview).to_have_value("Written while the portal could not save.")
    expect(page.locator("#restored-notice")).to_have_count(0)


def test_text_kept_from_before_a_save_elsewhere_is_offered_not_applied(page, make_account, sign_in, live_app, axe):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    draft_url = start_district_plan(page)
    overview = page.locator("#overview-text")
    with database_unreachable(live_engine(live_app)):
        overview.press_sequentially("Kept in the browser.")
        expect(page.locator("#save-status")).to_contain_text("Not saved yet, retrying", timeout=10_000)
        page.evaluate("() => { window.onbeforeunload = null; }")
        page.goto("about:blank")  # the tab goes away before the database is back
    submission_id = int(draft_url.rsplit("/", 1)[1])
    with live_app.app_context():  # meanwhile the draft is saved from another device
        submission = db.session.get(Submission, submission_id)
        services.save_draft(educator=submission.educator, submission=submission,
                            answers={"overview": {"text": "Saved on the laptop."}}, base_revision=1)
        db.session.commit()
        db.session.remove()

    page.goto(draft_url)
    notice = page.locator("#restored-notice")
    expect(notice).to_contain_text("the draft has been saved from elsewhere since")
    expect(overview).to_have_value("Saved on the laptop.")  # nothing applied without asking
    axe.check(page, "draft page offering text kept in the browser")
    notice.get_by_role("button", name="Restore my text").click()
    expect(overview).to_have_value("Kept in the browser.")
    expect(page.get_by_role("alert")).to_contain_text("another tab")  # the usual choice between the two copies
    page.get_by_role("button", name="Keep my version").click()
    wait_until_saved(page)
    page.goto(draft_url)
    expect(overview).to_have_value("Kept in the browser.")
    axe.assert_clean()


def test_signing_out_forgets_the_text_kept_in_the_browser(page, make_account, sign_in, live_app):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    start_district_plan(page)
    with database_unreachable(live_engine(live_app)):
        page.locator("#overview-text").press_sequentially("Not for the next person at this computer.")
        expect(page.locator("#save-status")).to_contain_text("Not saved yet, retrying", timeout=10_000)
        assert "next person" in page.evaluate(KEPT_JS)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    assert page.evaluate(KEPT_JS) == "[]"
