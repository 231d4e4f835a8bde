"""Listening in headless Chromium: the server's audio is fetched only when asked for and is a real Ogg file of
several seconds; with a (fake) browser voice, Listen reads the lesson marking each sentence in turn; both pass axe."""

from __future__ import annotations

import pytest

from skills_hub.courses import audio, services
from skills_hub.extensions import db
from tests.browser.test_pages_in_chromium import assert_accessible
from tests.conftest import require

pytestmark = pytest.mark.browser
LESSON = "/courses/using-email/lessons/what-email-is"
FAKE_VOICE = """
(() => {
  const voices = [{name: "Test voice", lang: "en-GB", default: true, localService: true, voiceURI: "test"}];
  window.__spoken = [];
  const synth = {
    speaking: false, paused: false, pending: false,
    getVoices: () => voices, addEventListener() {}, removeEventListener() {},
    speak(utterance) {
      window.__spoken.push(utterance.text);
      setTimeout(() => { utterance.onstart && utterance.onstart({}); }, 10);
      setTimeout(() => { utterance.onend && utterance.onend({}); }, 250);
    },
    cancel() {}, pause() { this.paused = true; }, resume() { this.paused = false; },
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
})();
"""


def test_the_servers_reading_is_fetched_only_when_asked_for_and_lasts_several_seconds(app, page):
    require(not audio.tools_missing(), "espeak-ng and opusenc", "apt install espeak-ng opus-tools")
    with app.app_context():
        lesson = services.get_lesson(services.get_course("using-email"), "what-email-is")
        audio.make_lesson_audio({"lesson_id": str(lesson.id), "language": "en"})
        db.session.commit()
    fetched, sizes = [], {}
    page.on("request", lambda request: fetched.append(request.url))
    page.on("requestfinished", lambda request: sizes.update({request.url: request.sizes()["responseBodySize"]}))
    page.goto(LESSON)
    page.wait_for_load_state("networkidle")
    assert sum(sizes.values()) < 60_000, sizes  # the lesson page, its style, script and pictures in view
    assert page.locator("audio[preload=none]").count() == 1
    assert [url for url in fetched if ".opus" in url] == [], "nothing is downloaded before play"
    assert_accessible(page)
    duration = page.evaluate("""() => new Promise((done, failed) => {
        const player = document.querySelector("audio");
        player.addEventListener("loadedmetadata", () => done(player.duration));
        player.addEventListener("error", () => failed(new Error("the audio did not load")));
        player.preload = "metadata"; player.load();
    })""")
    assert 5 < duration < 600, duration
    assert [url for url in fetched if url.endswith("/audio/en.opus")], "the player fetched the lesson's reading"


def test_with_a_browser_voice_listen_reads_the_lesson_marking_each_sentence_in_turn(page):
    page.add_init_script(FAKE_VOICE)
    page.goto(LESSON)
    controls = page.locator(".listen-controls")
    controls.wait_for(state="visible")
    assert page.locator(".listen audio").count() == 0 or page.locator(".listen audio").is_hidden()
    assert_accessible(page)
    page.get_by_role("button", name="Listen", exact=True).click()
    seen = []
    for _ in range(40):
        current = page.locator("section.listen").get_attribute("data-listen-text")
        if current and (not seen or seen[-1] != current):
            seen.append(current)
        if len(seen) >= 4:
            break
        page.wait_for_timeout(60)
    spoken = page.evaluate("window.__spoken")
    assert seen[:4] == spoken[:4], (seen, spoken)  # each sentence is marked as it is read, in order
    assert seen[0] == "What you will do"
    marked = page.evaluate("CSS.highlights.has('listen-sentence') && "
                           "[...CSS.highlights.get('listen-sentence')][0].toString()")
    assert marked in spoken
    assert page.get_by_role("button", name="Pause").is_visible()
