"""Drive a build of Twilio's React demo app in Chromium against chinwag: its flows as two
users (alice, bob), a screenshot per step in /tmp/shots (docs/client-sdk.md).

Run with the build served on 127.0.0.1:8092, the token server and `chinwag serve`."""

import base64
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

APP = "http://127.0.0.1:8092/"
SHOTS = Path("/tmp/shots")
# A picture to attach: a 1x1 PNG.
PICTURE = SHOTS / "picture.png"
SHOTS.mkdir(exist_ok=True)
PICTURE.write_bytes(
    base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )
)
NAME = f"Ticket {int(time.time()) % 100000}"
log = []
results = []
twilio_hosts: set[str] = set()  # every host the pages asked; twilio.com ones reported


def step(page, name, action):
    try:
        page.keyboard.press("Escape")
        action()
        time.sleep(1.5)
        results.append(("ok", name))
    except Exception as error:
        results.append(("FAIL", name + ": " + str(error).splitlines()[0][:160]))
    page.screenshot(path=SHOTS / f"{name}.png")


def sign_in(browser, who):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.on(
        "console",
        lambda m: (
            log.append(f"{who} {m.type}: {m.text[:200]}")
            if m.type == "error" and "ERR_NAME" not in m.text and "404" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: log.append(f"{who} PAGEERROR: {e}"))
    page.on("request", lambda r: twilio_hosts.add(urlsplit(r.url).hostname or ""))
    page.set_default_timeout(8000)
    page.goto(APP)
    page.fill("#username", who)
    page.fill("#password", "x")
    page.keyboard.press("Enter")
    page.get_by_text("Create New Conversation").wait_for()
    return page


def modal(page):
    return page.get_by_role("dialog")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    bob = sign_in(browser, "bob")  # signed in first: the conversation arrives live
    alice = sign_in(browser, "alice")

    def create():
        alice.get_by_text("Create New Conversation").click()
        alice.get_by_placeholder("Enter conversation name").fill(NAME)
        modal(alice).get_by_role("button", name="Save").click()
        alice.get_by_text(NAME).first.wait_for()

    step(alice, "10-create", create)

    def add_chat():
        alice.get_by_text(NAME).first.click()
        alice.get_by_role("button", name="Add Participants").click()
        modal(alice).get_by_role("button", name="Add Participant").click()
        alice.get_by_role("menuitem", name="Chat participant").click()
        modal(alice).get_by_placeholder("exampleusername").fill("bob")
        modal(alice).get_by_role("button", name="Save").click()

    step(alice, "11-add-chat", add_chat)

    def add_sms():
        alice.get_by_role("button", name="Settings").last.click()
        alice.get_by_role("menuitem", name="Manage Participants").click()
        modal(alice).get_by_role("button", name="Add Participant").click()
        alice.get_by_role("menuitem", name="SMS participant").first.click()
        modal(alice).get_by_placeholder("123456789012").nth(0).fill("1202555" + NAME[-4:].zfill(4))
        modal(alice).get_by_placeholder("123456789012").nth(1).fill("14155552671")
        modal(alice).get_by_role("button", name="Save").click()

    step(alice, "12-add-sms", add_sms)

    def send():
        alice.keyboard.press("Escape")
        box = alice.get_by_role("textbox").last
        box.click()
        alice.keyboard.type("hello bob")
        alice.keyboard.press("Enter")
        bob.get_by_text(NAME).first.wait_for(timeout=15000)

    step(alice, "13-send", send)

    def bob_badge():
        bob.get_by_text(NAME).first.wait_for(timeout=15000)

    step(bob, "14-bob-sees-conversation-unread", bob_badge)

    def bob_reads_and_answers():
        bob.get_by_text(NAME).first.click()
        bob.locator("text=hello bob").last.wait_for()
        box = bob.get_by_role("textbox").last
        box.click()
        bob.keyboard.type("hi alice")
        bob.keyboard.press("Enter")
        alice.locator("text=hi alice").last.wait_for(timeout=15000)

    step(bob, "15-bob-answers-alice-hears", bob_reads_and_answers)

    def send_image():
        alice.set_input_files("#file-input", str(PICTURE))
        box = alice.get_by_role("textbox").last
        box.click()
        alice.keyboard.type("a picture")
        alice.keyboard.press("Enter")
        bob.locator("text=a picture").last.wait_for(timeout=15000)
        shown = bob.locator("img[src^='blob:'], img[src*='/Content?']").last
        shown.wait_for(timeout=15000)  # inline, live
        bob.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=shown.element_handle()
        )

    step(alice, "15a-image-inline-at-bob", send_image)

    def bob_reloads():
        bob.reload()
        bob.get_by_text(NAME).first.click()
        bob.locator("text=a picture").last.wait_for(timeout=15000)
        assert not [line for line in log if "PAGEERROR" in line], log

    step(bob, "15b-bob-reloads", bob_reloads)

    def rename():
        alice.locator("svg:has(title)", has_text="Edit conversation name").click()
        title = alice.locator(f'input[value="{NAME}"]')
        title.fill(NAME + " (late)")
        alice.keyboard.press("Enter")
        bob.get_by_text(NAME + " (late)").first.wait_for(timeout=15000)

    step(alice, "16-rename", rename)

    def profile():
        time.sleep(6)  # the toasts over the header go
        alice.get_by_role("button", name="Settings").first.click()
        alice.get_by_text("User Profile").dispatch_event("click")  # under a toast
        modal(alice).get_by_role("textbox").last.fill(NAME + " Alice")
        modal(alice).get_by_role("button", name="Save").click()
        bob.get_by_text(NAME + " Alice").first.wait_for(timeout=15000)  # live at bob's

    step(alice, "17-profile-name", profile)

    def leave():
        alice.get_by_role("button", name="Settings").last.click()
        alice.get_by_role("menuitem", name="Leave Conversation").click()
        time.sleep(1)

    step(alice, "18-leave", leave)
    browser.close()
for r in results:
    print(*r)
# The app's own design assets come from Twilio's CDN (assets.twilio.com); the SDK's
# traffic must all go to chinwag.
print("twilio.com hosts asked:", sorted(h for h in twilio_hosts if h.endswith("twilio.com")))
print("\n".join(log[-20:]))
