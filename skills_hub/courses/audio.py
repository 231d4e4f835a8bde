"""Lessons read aloud on the server, for browsers with no voice for the page's language (no JavaScript, or Urdu
on many phones): espeak-ng speaks the text, opusenc packs it small (Ogg Opus, mono, 16 kbit/s: about 2 KB a
second), and it is stored by the hash of what was said, like certificate PDFs: a lesson whose text changes gets a
new file, and the old one is no longer served.

Only languages espeak-ng speaks well get server audio: English, Urdu, Polish (and Bengali and Panjabi in Gurmukhi,
which pages are not written in yet). Not Mandarin (it reads the tones out as English words) and not Arabic (only
with vowel marks, which lessons do not have): their pages use the browser's voice.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import uuid
import wave
from dataclasses import dataclass

from markdown_it import MarkdownIt
from sqlalchemy import select

from skills_hub import storage
from skills_hub.courses import glossary
from skills_hub.courses.models import Course, Lesson, LessonTranslation
from skills_hub.courses.services import CHECK_ORDERS, CourseShown, in_language, shuffled_questions
from skills_hub.extensions import db
from skills_hub.jobs.services import enqueue, job_handler
from skills_hub.markdown import explained_after

# Page language → espeak-ng voice. Arabic and Chinese are left out on purpose (module docstring).
VOICES = {"en": "en-gb", "ur": "ur", "pl": "pl"}
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: the people listening are learning the words
BITRATE_KBPS = 16
PAUSE_SECONDS = 0.7  # after a heading, a paragraph or a list item
JOB = "make_lesson_audio"
CONTENT_TYPE = "audio/ogg"
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
# A sentence ends at . ! ? and at the Urdu, Arabic and Chinese full stops and question and exclamation marks.
_SENTENCE_END = re.compile("(?<=[.!?\u06d4\u061f\u3002\uff01\uff1f])\\s+")


class AudioUnavailable(RuntimeError):
    """espeak-ng or opusenc is not installed here."""


def tools_missing() -> list[str]:
    """The Debian packages this machine lacks for server audio (none: audio can be made)."""
    return [package for package, command in (("espeak-ng", "espeak-ng"), ("opus-tools", "opusenc"))
            if shutil.which(command) is None]


def speaks(language: str) -> bool:
    return language in VOICES


@dataclass(frozen=True)
class Spoken:
    """What is read aloud: the blocks of a lesson in order, each a list of sentences, with a pause after it."""

    blocks: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(block) for block in self.blocks)


def spoken(markdown: str, words: tuple = (), language: str = "en") -> Spoken:
    """A lesson's words as a listener hears them: headings, paragraphs and list items in order, each glossary word
    explained after the paragraph that first uses it, as on the page; no link targets, image file names or Markdown
    marks (a picture's alt text is not read: it describes what the page shows)."""
    blocks: list[tuple[str, ...]] = []
    tokens = _MARKDOWN.parse(markdown)
    places = explained_after(tokens, words, language)
    for index, token in enumerate(tokens):
        for word in places.get(index, ()):
            blocks.append((f"{word.word}: {word.meaning}",))
        if token.type != "inline":
            continue
        words = "".join(child.content if child.type in ("text", "code_inline") else " "
                        for child in token.children or [] if child.type in ("text", "code_inline", "softbreak",
                                                                             "hardbreak"))
        words = re.sub(r"\s+", " ", words).strip()
        if words:
            blocks.append(tuple(sentence for sentence in _SENTENCE_END.split(words) if sentence))
    return Spoken(tuple(blocks))


def audio_key(said: Spoken, language: str) -> str:
    """Where the audio for these words is stored: the hash of everything that shapes the sound."""
    digest = hashlib.sha256(f"{VOICES[language]}|{WORDS_PER_MINUTE}|{BITRATE_KBPS}|{said.text}".encode()).hexdigest()
    return f"audio/{language}/{digest[:32]}.opus"


def synthesise(said: Spoken, language: str) -> bytes:
    """Ogg Opus bytes of these words in this language's voice, with a pause after each heading, paragraph and list
    item. Each block is spoken on its own (espeak-ng's SSML mode reads some Urdu text far too slowly)."""
    if missing := tools_missing():
        raise AudioUnavailable(f"Install Debian's {' and '.join(missing)} to make audio on the server.")
    frames, params = [], None
    for block in said.blocks:
        wav = subprocess.run(["espeak-ng", "-v", VOICES[language], "-s", str(WORDS_PER_MINUTE), "--stdout"],  # noqa: S603, S607
                             input=" ".join(block).encode(), capture_output=True, check=True, timeout=120).stdout
        with wave.open(io.BytesIO(wav)) as spoken_block:
            params = params or spoken_block.getparams()
            frames.append(spoken_block.readframes(spoken_block.getnframes()))
        frames.append(b"\0" * (params.sampwidth * params.nchannels * int(params.framerate * PAUSE_SECONDS)))
    joined = io.BytesIO()
    with wave.open(joined, "wb") as whole:
        whole.setparams(params)
        whole.writeframes(b"".join(frames))
    return subprocess.run(["opusenc", "--quiet", "--bitrate", str(BITRATE_KBPS), "--downmix-mono", "--speech",  # noqa: S603, S607
                           "-", "-"], input=joined.getvalue(), capture_output=True, check=True, timeout=300).stdout


# Which lesson, in which language, is read from which text -----------------------------------------------------------

def lesson_text(lesson: Lesson, language: str) -> str | None:
    """The Markdown a lesson is read from in a language: its English, or its current translation; None when that
    language's readers see the English (the English audio serves them)."""
    if language == "en":
        return lesson.body_markdown
    return db.session.scalar(select(LessonTranslation.body_markdown).where(
        LessonTranslation.lesson_id == lesson.id, LessonTranslation.language == language,
        LessonTranslation.current.is_(True)))


def said_for(lesson: Lesson, language: str) -> Spoken | None:
    """What is read aloud for a lesson in a language (its words explained as on the page), or None."""
    text = lesson_text(lesson, language) if speaks(language) else None
    if not text:
        return None
    words, words_language = glossary.words_in(language)
    return spoken(text, words if words_language == language else (), language)


def key_for(lesson: Lesson, language: str) -> str | None:
    said = said_for(lesson, language)
    return audio_key(said, language) if said else None


def ready_key(lesson: Lesson, language: str) -> str | None:
    """The stored audio for the lesson as it reads now in this language, or None."""
    key = key_for(lesson, language)
    return key if key and storage.sha256_of(key) is not None else None


@job_handler(JOB)
def make_lesson_audio(payload: dict) -> None:
    """Read a lesson aloud (payload `lesson_id`) or a course's quiz (`course_id`), in `language`, if its current
    words have no reading yet."""
    language = payload["language"]
    if "course_id" in payload:
        course = db.session.get(Course, uuid.UUID(payload["course_id"]))
        shown = in_language(course, language) if course is not None and course.retired_at is None else None
        # Only a quiz shown in this language: an untranslated one is read by its English job.
        said = check_said(shown, payload["order"]) if shown is not None and shown.language == language else None
    else:
        lesson = db.session.get(Lesson, uuid.UUID(payload["lesson_id"]))
        said = said_for(lesson, language) if lesson is not None and lesson.retired_at is None else None
    if said is not None:
        save_reading(said, language)


def save_reading(said: Spoken, language: str) -> str:
    """Make and store the reading of these words unless it exists; its key."""
    key = audio_key(said, language)
    if storage.sha256_of(key) is None:
        storage.save(key, synthesise(said, language), CONTENT_TYPE)
    return key


def check_said(shown: CourseShown, order: int) -> Spoken | None:
    """A course's quiz read aloud in the language its texts are shown in (`shown`, the course as its reader sees
    it): each question, then each of its choices in the order numbered `order` (as the page shows them); None where
    the server has no voice for that language."""
    if not speaks(shown.language):
        return None
    blocks = []
    for number, question in enumerate(shuffled_questions(shown, order), start=1):
        blocks.append((f"{number}.", question["text"]))
        blocks.extend((choice["text"],) for choice in question["choices"])
    return Spoken(tuple(blocks))


def check_ready_key(shown: CourseShown, order: int) -> str | None:
    """The stored reading of the quiz as shown (the page's course, already in its reader's language)."""
    said = check_said(shown, order)
    key = audio_key(said, shown.language) if said else None
    return key if key and storage.sha256_of(key) is not None else None


def queue_missing_audio() -> int:
    """Queue a job for every current lesson and spoken language without audio for its current words (none when
    the tools are missing). Flushes, never commits; returns how many were queued."""
    if tools_missing():
        return 0
    queued = 0
    lessons = db.session.scalars(select(Lesson).join(Course).where(
        Lesson.retired_at.is_(None), Course.retired_at.is_(None))).all()
    for lesson in lessons:
        for language in VOICES:
            key = key_for(lesson, language)
            if key and storage.sha256_of(key) is None:
                enqueue(JOB, {"lesson_id": str(lesson.id), "language": language})
                queued += 1
    for course in db.session.scalars(select(Course).where(Course.retired_at.is_(None))).all():
        for language in VOICES:
            shown = in_language(course, language)
            if shown.language != language:
                continue  # its readers hear the English quiz, queued with the English
            for order in range(CHECK_ORDERS):
                said = check_said(shown, order)
                if said and storage.sha256_of(audio_key(said, language)) is None:
                    enqueue(JOB, {"course_id": str(course.id), "language": language, "order": order})
                    queued += 1
    return queued


@dataclass(frozen=True)
class LessonAudio:
    lesson: Lesson
    language: str
    status: str  # ready, waiting, failed, or english (no current translation: its readers hear the English)
    size: int | None = None


def coverage(courses: list[Course]) -> dict[tuple, list[LessonAudio]]:
    """For each (course id, language): each current lesson's audio, ready, waiting or failed."""
    from skills_hub.jobs.models import Job, JobStatus

    latest: dict[tuple[str, str], JobStatus] = {}
    for payload, status in db.session.execute(select(Job.payload, Job.status).where(Job.kind == JOB)
                                              .order_by(Job.created_at)):
        latest[(payload.get("lesson_id"), payload.get("language"))] = status
    result: dict[tuple, list[LessonAudio]] = {}
    for course in courses:
        for language in VOICES:
            rows = []
            for lesson in course.current_lessons:
                key = key_for(lesson, language)
                stored = db.session.get(storage.StoredFile, key) if key else None
                if key is None:
                    rows.append(LessonAudio(lesson, language, "english"))
                elif stored is not None:
                    rows.append(LessonAudio(lesson, language, "ready", stored.size))
                else:
                    failed = latest.get((str(lesson.id), language)) == JobStatus.FAILED
                    rows.append(LessonAudio(lesson, language, "failed" if failed else "waiting"))
            result[(course.id, language)] = rows
    return result
