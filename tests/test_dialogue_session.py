"""A visitor's conversation: clarify, repeat, follow-ups, language, time, session end."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from runtime.composition.config import DEFAULT_CONTENT
from runtime.dialogue.answer_text import split_cues
from runtime.dialogue.content_pack import check_content_pack, load_content_pack
from runtime.dialogue.responder import Responder
from runtime.dialogue.session import Kind
from runtime.surroundings.presence import ActionKind, PresencePolicy

from .test_interaction_log_and_content_cli import CLI

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WED_3PM = dt.datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def museum() -> Responder:
    return Responder(load_content_pack(DEFAULT_CONTENT))


@pytest.fixture(scope="module")
def mall(mall_pack_dir) -> Responder:
    return Responder(load_content_pack(mall_pack_dir))


def test_cues_are_stripped_from_speech_and_kept_with_their_place():
    assert split_cues("[smile] Hello! [wave] Bye.") == ("Hello! Bye.", split_cues("[smile] Hello! [wave] Bye.")[1])
    spoken, cues = split_cues("[smile] Hello! [wave] Bye.")
    assert [(c.name, c.at_char) for c in cues] == [("smile", 0), ("wave", 7)]
    assert spoken[cues[1].at_char:] == "Bye."
    assert split_cues("您好！[wave]欢迎")[0] == "您好！欢迎"


@pytest.mark.parametrize("now, expected_en, expected_zh", [
    (WED_3PM, "Yes, we are open now, until 5 pm today.", "现在开放，今天下午5点闭馆。"),
    (WED_3PM.replace(hour=18), "We are closed right now. We open again tomorrow at 9 am.",
     "现在已经闭馆了，下次开放是明天上午9点。"),
    (dt.datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI),   # Sunday night; Monday closed
     "We are closed right now. We open again on Tuesday at 9 am.", "现在已经闭馆了，下次开放是周二上午9点。"),
    (dt.datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI),    # Monday morning
     "We are closed right now. We open again tomorrow at 9 am.", "现在已经闭馆了，下次开放是明天上午9点。"),
    (dt.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI),   # New Year's Eve: special hours
     "Yes, we are open now, until 3 pm today.", "现在开放，今天下午3点闭馆。"),
    (dt.datetime(2026, 12, 31, 16, 0, tzinfo=SHANGHAI),   # closed on New Year's Day, then Saturday
     "We are closed right now. We open again on Saturday at 9 am.", "现在已经闭馆了，下次开放是周六上午9点。"),
])
def test_are_you_open_now_answers_from_the_schedule_at_the_injected_time(museum, now, expected_en, expected_zh):
    en = museum.answer("Are you open right now?", "en", now)
    zh = museum.answer("现在还开门吗", "zh", now)
    assert (en.intent, en.text) == ("open_now", expected_en)
    assert (zh.intent, zh.text) == ("open_now", expected_zh)
    assert en.cues and en.cues[0].name in ("smile", "sad")


def test_events_come_from_the_schedule_by_date(museum):
    christmas = museum.answer("any events today", "en", dt.datetime(2026, 12, 25, 11, 0, tzinfo=SHANGHAI))
    assert christmas.text == ("Today there is the winter robotics exhibition on the fourth floor and "
                              "a family star-gazing night on the roof. Do join in!")
    spring = museum.answer("今天有什么活动", "zh", dt.datetime(2027, 3, 10, 11, 0, tzinfo=SHANGHAI))
    assert spring.text == "今天没有特别活动，常设展厅全部开放。"


def test_clarifying_question_when_two_intents_are_close_then_the_choice(mall):
    session = mall.session()
    ask = session.reply("cinema or food court", 0.0, WED_3PM, "en")
    assert ask.kind == Kind.CLARIFY and set(ask.options) == {"cinema", "food_court"}
    assert ask.text == 'Do you mean "Where can I eat", or "Where is the cinema"?'
    assert ask.intent is None
    picked = session.reply("the second one", 2.0, WED_3PM, "en")
    assert picked.kind == Kind.ANSWER and picked.intent == "cinema"
    again = session.reply("停车还是充电", 10.0, WED_3PM, "zh")
    assert again.kind == Kind.CLARIFY and again.text == "您是想问“哪里可以充电”，还是“停车场在哪里”？"
    by_name = session.reply("停车", 12.0, WED_3PM, "zh")
    assert by_name.intent == "parking"


def test_say_that_again_repeats_what_was_said_and_only_what_was_heard(mall):
    session = mall.session()
    nothing = session.reply("say that again", 0.0, WED_3PM, "en")
    assert nothing.kind == Kind.REPEAT and "not said anything" in nothing.text
    parking = session.reply("where can I park", 1.0, WED_3PM, "en")
    again = session.reply("Sorry, could you repeat that?", 5.0, WED_3PM, "en")
    assert again.kind == Kind.REPEAT and again.text == parking.text and again.intent == "parking"
    session.heard_until("Parking is on basement levels two and three.")   # the visitor cut in
    assert session.said == "Parking is on basement levels two and three."
    assert session.reply("再说一遍", 8.0, WED_3PM, "zh").text == parking.text   # the whole answer again


def test_follow_up_leans_on_the_last_topic(museum, mall):
    session = museum.session()
    session.reply("How much is a ticket?", 0.0, WED_3PM, "en")
    kids = session.reply("what about children", 3.0, WED_3PM, "en")
    assert (kids.kind, kids.intent) == (Kind.FOLLOWUP, "tickets.children")
    fresh = museum.session()
    assert fresh.reply("what about children", 0.0, WED_3PM, "en").intent != "tickets.children"
    # With no follow-ups written, a vague question is read with the last one.
    talk = mall.session()
    talk.reply("Is there a pharmacy?", 0.0, WED_3PM, "en")
    assert talk.reply("where is it", 4.0, WED_3PM, "en").intent == "pharmacy"
    assert mall.session().reply("where is it", 0.0, WED_3PM, "en").intent is None


def test_visitor_switches_language_any_time(mall):
    session = mall.session()
    assert session.reply("where can I park", 0.0, WED_3PM).lang == "en"
    switch = session.reply("说中文", 3.0, WED_3PM)
    assert (switch.kind, switch.lang, switch.listen_lang, switch.text) == (Kind.LANGUAGE, "zh", "zh", "好的，我说中文。")
    assert session.reply("where are the toilets", 6.0, WED_3PM).lang == "zh"   # asked for Chinese answers
    back = session.reply("English please", 9.0, WED_3PM)
    assert (back.lang, back.text) == ("en", "Sure, I will speak English.")
    assert session.reply("洗手间在哪", 12.0, WED_3PM).lang == "en"
    # A kiosk that can only listen in English says so, in English, and stays.
    only_en = mall.session(listen_languages=("en",))
    refused = only_en.reply("Chinese please", 0.0, WED_3PM, "en")
    assert refused.lang == "en" and refused.listen_lang is None and "cannot listen in Chinese" in refused.text
    # A question that mentions a language is still a question.
    assert mall.session().reply("is there an English bookshop in the mall", 0.0, WED_3PM, "en").kind != Kind.LANGUAGE


def test_session_ends_after_silence_or_departure_and_forgets_the_visitor(mall):
    session = mall.session()
    first = session.reply("where can I park", 0.0, WED_3PM, "en")
    assert first.new_session
    session.reply("中文", 5.0, WED_3PM)
    assert not session.reply("where can I park", 20.0, WED_3PM).new_session
    later = session.reply("where can I park", 200.0, WED_3PM)
    assert later.new_session and later.lang == "en"          # the language choice was forgotten
    assert session.reply("say that again", 201.0, WED_3PM).text == later.text
    session.end()                                              # the visitor walked away
    gone = session.reply("say that again", 202.0, WED_3PM, "en")
    assert gone.new_session and "not said anything" in gone.text


def test_presence_reports_departure_once_after_the_grace_period():
    policy = PresencePolicy()
    policy.on_presence(True, 0.0)
    policy.on_presence(False, 5.0)
    assert not any(a.kind is ActionKind.DEPARTED for a in policy.tick(10.0, dt.time(12)))
    assert any(a.kind is ActionKind.DEPARTED for a in policy.tick(15.5, dt.time(12)))
    assert not any(a.kind is ActionKind.DEPARTED for a in policy.tick(30.0, dt.time(12)))


def test_answer_variants_rotate_and_every_answer_is_traceable(museum):
    session = museum.session()
    one = session.reply("hello", 0.0, WED_3PM, "en")
    two = session.reply("hello", 2.0, WED_3PM, "en")
    three = session.reply("hello", 4.0, WED_3PM, "en")
    assert one.text != two.text and three.text == one.text
    assert one.answer_id == f"edge-avatar-demo/greeting@{museum.pack.digest[:12]}"
    assert two.answer_id == f"edge-avatar-demo/greeting#2@{museum.pack.digest[:12]}"
    assert [c.name for c in one.cues] == ["wave"]


def test_decide_has_no_side_effects_until_commit(mall):
    session = mall.session()
    guess = session.decide("where can I park", 0.0, WED_3PM, "en")
    assert session.expired(0.5)
    session.commit(guess, 0.5, "where can I park")
    assert not session.expired(1.0)
    assert session.reply("say that again", 1.0, WED_3PM, "en").text == guess.text


def _write_pack(tmp_path: Path, body: str) -> Path:
    (tmp_path / "faq.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return tmp_path


def test_new_pack_fields_are_checked_with_file_line_and_field(tmp_path):
    pack = _write_pack(tmp_path, """\
        venue: {id: test, timezone: Mars/Olympus}
        languages: [en]
        fallback: {en: Sorry.}
        schedule:
          hours: {mon-fri: "09:00-25:00", funday: "10:00-12:00"}
          events:
            - {from: 2026-12-02, to: 2026-12-01, en: backwards}
        synonyms:
          loo: [toilet]
        prompts:
          shout: {en: HEY}
        intents:
          - id: hours
            questions: {en: [When do you open]}
            answer: {en: "[grin] We close at {closing_time}."}
            answer_when:
              raining: {en: Stay dry.}
            followups:
              - questions: {en: []}
                answer: {en: Yes.}
        """)
    problems = "\n".join(check_content_pack(pack))
    for expected in (":1: venue.timezone: expected an IANA timezone",
                     ":5: schedule.hours.mon-fri: expected \"HH:MM-HH:MM\"",
                     ":5: schedule.hours.funday: expected a day or range of days",
                     ":7: schedule.events[0].from: expected dates",
                     ":9: synonyms.loo: expected a mapping of language",
                     ":11: prompts.shout: expected one of",
                     ":15: intents[0].answer.en: expected cues from",
                     ":15: intents[0].answer.en: expected placeholders from",
                     ":17: intents[0].answer_when.raining: expected one of",
                     ":19: intents[0].followups[0].questions.en: expected a non-empty list"):
        assert expected in problems, problems


def test_placeholders_need_a_schedule(tmp_path):
    pack = _write_pack(tmp_path, """\
        venue: {id: test}
        languages: [en]
        fallback: {en: Sorry.}
        intents:
          - id: hours
            questions: {en: [When do you close]}
            answer: {en: "We close at {closes_at}."}
        """)
    assert any("a `schedule:` in the pack to fill {closes_at}" in p for p in check_content_pack(pack))


def test_ask_cli_holds_one_conversation_over_stdin_at_an_injected_time():
    done = subprocess.run(CLI + ["ask", "--json", "--now", "2026-11-29T20:00"], capture_output=True, text=True,
                          input="How much is a ticket?\nwhat about children\nsay that again\n说中文\n现在开门吗\n",
                          timeout=120)
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["kind"] for r in replies] == ["answer", "followup", "repeat", "language", "answer"]
    assert replies[1]["answer"] == replies[2]["answer"] == "Children under 1.2 metres go free with an adult."
    assert replies[4]["answer"] == "现在已经闭馆了，下次开放是周二上午9点。" and replies[4]["cues"] == ["sad"]
    assert replies[0]["answer_id"].startswith("edge-avatar-demo/tickets@")


def test_an_unrelated_question_after_a_topic_still_gets_the_fallback(mall):
    session = mall.session()
    assert session.reply("where is the taxi stand", 0.0, WED_3PM, "en").intent == "metro_taxi"
    assert session.reply("Tell me a joke", 3.0, WED_3PM, "en").kind == Kind.FALLBACK
    session.reply("有药店吗", 6.0, WED_3PM, "zh")
    assert session.reply("讲个笑话", 8.0, WED_3PM, "zh").kind == Kind.FALLBACK
    assert session.reply("在哪里", 10.0, WED_3PM, "zh").intent == "pharmacy"
