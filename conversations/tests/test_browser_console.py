"""The staff console in a real browser: Playwright for Python driving Debian's Chromium
(/usr/bin/chromium, which `make test` installs when it can) against Django's live server, its
static files served by the app itself as in production (not by the live server's own handler).

Screenshots of every page the tests reach are kept in test-artifacts/screenshots/ (git-ignored).
"""

import json
import os
import re
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import ROOT, STAFF_PASSWORD, chat_json, digits
from conversations.models import ConversationSession, Message, MessageMetric
from conversations.phones import mask_phone
from conversations.tests.conftest import SECRET, text_message
from pricing.models import Service

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"  # git-ignored

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"no Chromium at {CHROMIUM}: `make test` installs it with "
        "`apt-get install -y chromium` when run as root with apt-get available",
    ),
]


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM
    # calls under a running loop; the test's own ORM calls are plain blocking ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def console_server(transactional_db):
    """pytest-django's live server without the static-files handler it puts in front of the app:
    that handler answers /static/ itself, so the console looked styled in these tests while the
    app served no stylesheet at all. Here the app's own middleware must serve it."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda handler: handler
    server.start()
    yield server
    server.stop()


@contextmanager
def console_page(chromium, console_server, **options):
    """A page of the console; at the end, no script, style or form the page's
    Content-Security-Policy blocked (Chromium reports each refusal on the console)."""
    context = chromium.new_context(
        base_url=console_server.url, viewport={"width": 1280, "height": 900}, **options
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if is_csp(message) else None)
    yield page
    context.close()
    assert refused == [], "the Content-Security-Policy blocked parts of the console"


@pytest.fixture
def page(chromium, console_server):
    with console_page(chromium, console_server) as page:
        yield page


@pytest.fixture
def russian_page(chromium, console_server, compiled_catalogs):
    """A browser that asks for Russian (its Accept-Language)."""
    with console_page(chromium, console_server, locale="ru-RU") as page:
        yield page


def is_csp(message) -> bool:
    return message.type == "error" and "Content Security Policy" in message.text


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def is_admin_stylesheet(request) -> bool:
    # base.css, or base.<hash>.css when the files were collected under hashed names.
    path = request.url.split("?")[0]
    return "/static/admin/css/base." in path and path.endswith(".css")


def assert_styled(page, stylesheet) -> None:
    """The admin's stylesheet loaded, and it took effect: unstyled, the header is a plain block
    on a transparent background."""
    # Chromium aborts a stylesheet answered with an HTML error page (nosniff): then there is no
    # response to read, only the failure.
    response = stylesheet.response()
    outcome = response.status if response else stylesheet.failure
    assert outcome == 200, f"{stylesheet.url}: {outcome}"
    header = page.eval_on_selector(
        "#header",
        "h => { const s = getComputedStyle(h); return [s.display, s.backgroundColor]; }",
    )
    assert header[0] == "flex"
    assert header[1] not in ("rgba(0, 0, 0, 0)", "transparent")


def sign_in(page, user) -> None:
    with page.expect_request(is_admin_stylesheet) as stylesheet:
        page.goto("/admin/login/?next=/admin/")
    assert_styled(page, stylesheet.value)
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


@pytest.fixture
def waiting_conversation(clinic):
    session = ConversationSession.objects.create(
        clinic=clinic, patient_phone="79001112233", patient_name="Anna", language="en"
    )
    at = timezone.now() - timedelta(minutes=5)
    question = Message.objects.create(
        clinic=clinic,
        session=session,
        direction="in",
        text="How much is a filling?",
        intent="price_query",
        lane="fast",
        received_at=at,
    )
    reply = Message.objects.create(
        clinic=clinic,
        session=session,
        direction="out",
        text="Filling: RUB 3,500",
        intent="price_query",
        lane="fast",
        reply_to=question,
        received_at=at,
        delivery_status="sent",
    )
    MessageMetric.objects.create(
        message=reply,
        clinic=clinic,
        lane="fast",
        intent="price_query",
        total_ms=14.2,
        fast_lane_ms=0.4,
        send_ms=9.1,
        cache_hits=3,
    )
    Message.objects.create(
        clinic=clinic,
        session=session,
        direction="in",
        text="Can I talk to a person?",
        intent="human",
        lane="none",
        received_at=at + timedelta(minutes=1),
    )
    return session


def test_staff_take_over_a_conversation_write_to_the_patient_and_release_it(
    page, clinic_staff, waiting_conversation, gateway, eager_tasks
):
    sign_in(page, clinic_staff)
    page.goto("/admin/conversations/conversationsession/")
    page.wait_for_selector("#result_list")
    screenshot(page, "inbox")
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#thread")
    assert page.inner_text("#control-state") == "bot"
    assert "How much is a filling?" in page.inner_text("#thread")

    page.click("#take-over")
    page.wait_for_selector("#release")
    assert page.inner_text("#control-state") == "staff"

    page.fill("#send-form textarea", "Hello Anna, this is Dr. Smith. How can I help?")
    page.click("#send")
    page.wait_for_selector("#thread tr.staff")
    sent = gateway.wait_for(1)
    assert [(s["number"], s["text"]) for s in sent] == [
        ("79001112233", "Hello Anna, this is Dr. Smith. How can I help?")
    ]
    screenshot(page, "conversation")

    page.click("#release")
    page.wait_for_selector("#take-over")
    assert page.inner_text("#control-state") == "bot"
    waiting_conversation.refresh_from_db()
    assert waiting_conversation.control == "bot"
    staff_message = waiting_conversation.messages.get(from_staff=True)
    assert staff_message.delivery_status == "sent"
    assert len(gateway.sent()) == 1


def test_a_price_edited_in_the_browser_is_the_price_the_bot_answers(
    page, clinic_staff, clinic, monkeypatch
):
    assert "3500" in digits(
        chat_json("how much is a filling?", monkeypatch, clinic_slug=clinic.slug)["reply"]
    )
    service = Service.objects.get(clinic=clinic, code="filling")
    sign_in(page, clinic_staff)
    page.goto(f"/admin/pricing/service/{service.pk}/change/")
    page.fill("#id_price", "4321.00")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "price-list")
    answer = chat_json("how much is a filling?", monkeypatch, clinic_slug=clinic.slug)
    assert answer["service"] == "filling" and "4321" in digits(answer["reply"])


def test_the_dashboard_renders_its_charts(page, clinic_staff, waiting_conversation):
    clinic = waiting_conversation.clinic
    now = timezone.now()
    for hours_ago, totals in [(1, [6.0, 9.0, 40.0]), (2, [5.0, 12.0]), (3, [7.0, 8.0, 2500.0])]:
        for total in totals:
            lane = "llm" if total > 1000 else "fast"
            message = Message.objects.create(
                clinic=clinic,
                session=waiting_conversation,
                direction="out",
                text="r",
                lane=lane,
                received_at=now,
            )
            metric = MessageMetric.objects.create(
                message=message, clinic=clinic, lane=lane, total_ms=total, cache_hits=3
            )
            MessageMetric.objects.filter(pk=metric.pk).update(
                created_at=now - timedelta(hours=hours_ago)
            )
    sign_in(page, clinic_staff)
    page.goto("/admin/conversations/messagemetric/dashboard/")
    charts = page.locator("svg.latency-chart")
    assert charts.count() == 2
    assert charts.first.bounding_box()["width"] > 300
    assert page.locator("svg.latency-chart polyline").count() >= 2
    assert "closed" in page.inner_text("#breaker")
    screenshot(page, "dashboard")
    # Choosing a clinic shows its figures at once (a script of the page's own, no inline code).
    with page.expect_navigation():
        page.select_option("#clinic-filter select", str(clinic.pk))
    assert f"clinic={clinic.pk}" in page.url


def webhook_post(server_url: str, body: dict) -> None:
    """The gateway's delivery, over HTTP to the live server (this thread runs Playwright's
    event loop: no Django test client here)."""
    request = urllib.request.Request(
        f"{server_url}/webhooks/evolution",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Webhook-Secret": SECRET},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (loopback)
        assert response.status == 200


def test_a_new_message_and_hand_off_appear_in_the_open_inbox_without_a_reload(
    page, console_server, clinic_staff, waiting_conversation, outbox, eager_tasks
):
    new_patient = mask_phone("79005556677")
    sign_in(page, clinic_staff)
    page.goto("/admin/conversations/conversationsession/")
    page.wait_for_selector("#result_list")
    assert not page.title().startswith("(")
    assert new_patient not in page.inner_text("#result_list")
    page.evaluate("window.stillTheSamePage = true")  # a reload would drop this mark

    hand_off = text_message("Хочу поговорить с администратором", phone="79005556677")
    webhook_post(console_server.url, hand_off)

    # Playwright's expect polls from outside the page (a predicate run inside it would need
    # the eval the page's policy refuses).
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page).to_have_title(re.compile(r"^\(1\) "), timeout=15_000)
    expect(page.locator("#result_list")).to_contain_text(new_patient, timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True
    first_row = page.inner_text("#result_list tbody tr:first-child")
    # Handed to staff, waiting first; its last message is the bot's acknowledgement.
    assert new_patient in first_row and "staff · waiting" in first_row
    assert "→ " + outbox[0]["text"][:20] in first_row
    screenshot(page, "inbox-live")
    # The fresh rows' checkboxes work with the admin's actions, as the first ones did.
    page.check("#result_list tbody tr:first-child input.action-select")
    assert "1 of 2 selected" in page.inner_text(".action-counter")


def test_the_console_speaks_russian_to_a_browser_that_asks_for_it(
    russian_page, clinic_staff, waiting_conversation
):
    page = russian_page
    sign_in(page, clinic_staff)
    page.goto("/admin/conversations/conversationsession/")
    page.wait_for_selector("#result_list")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.inner_text("#content h1") == "Диалоги"
    headers = page.inner_text("#result_list thead").lower()  # the admin's CSS capitalises them
    assert "пациент" in headers and "последнее сообщение" in headers
    assert page.inner_text("#changelist-filter").count("ждёт персонал") == 1
    assert page.input_value("#language-choice") == "ru"
    screenshot(page, "inbox-ru")

    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#thread")
    assert page.input_value("#take-over") == "Взять на себя"
    assert "Сообщения (последние 200, сначала старые)" in page.inner_text("#thread caption")
    page.click("#take-over")
    page.wait_for_selector("#release")
    assert "Диалог ведёте вы: бот здесь молчит." in page.inner_text(".messagelist")


def test_hebrew_chosen_in_the_header_lays_the_console_out_right_to_left(
    russian_page, clinic_staff, waiting_conversation
):
    page = russian_page
    sign_in(page, clinic_staff)
    page.goto("/admin/conversations/conversationsession/")
    assert page.get_attribute("html", "dir") == "ltr"
    with page.expect_navigation():
        page.select_option("#language-choice", "he")
    page.wait_for_selector("#result_list")
    assert page.get_attribute("html", "lang") == "he"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.inner_text("#content h1") == "שיחות"
    assert "הודעה אחרונה" in page.inner_text("#result_list thead").lower()
    # Laid out right to left: the text runs from the right, the filters sit on the left.
    direction = page.eval_on_selector("#content", "e => getComputedStyle(e).direction")
    assert direction == "rtl"
    filters = page.locator("#changelist-filter").bounding_box()
    results = page.locator("#result_list").bounding_box()
    assert filters["x"] < results["x"]
    screenshot(page, "inbox-he")

    # The choice holds on the next page, though the browser still asks for Russian.
    page.goto(f"/admin/conversations/conversationsession/{waiting_conversation.pk}/change/")
    page.wait_for_selector("#thread")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.input_value("#take-over") == "השתלטות"
    screenshot(page, "conversation-he")
