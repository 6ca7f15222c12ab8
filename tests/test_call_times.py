"""Which texts say when to call (or not to): a labelled corpus of how people text it, in English and
Spanish, misspelt, beside texts that name a time or a number for another reason; and what a text that
says so adds to the conversation's decision."""

import pytest

from helpline.domain.call_times import CALL_TIME_LIMIT, NoteCallTime, noted, says_when_to_call, when_to_call
from helpline.domain.conversation import Context, Inbound, RequestCallback, TexterState, decide

SAYS_WHEN = [
    "call me after 5",
    "Call me after 5pm please",
    "pls call after 5:30",
    "no calls after 5pm",
    "No calls after 5 please, my husband gets home",
    "dont call before 9am",
    "Not before noon",
    "not b4 noon pls",
    "mornings only",
    "only mornings please",
    "Mornings are best",
    "call me tomorrow morning",
    "can someone call me tomorow mornin",
    "call me tmrw afternoon",
    "only weekends",
    "weekends only pls",
    "i work nights call after 3",
    "I work nights, call after 3",
    "im at work till 6",
    "i get off work at 6",
    "call me between 2 and 4",
    "anytime after 7 pm",
    "after 5 is best",
    "aftr 6 works",
    "evenings are better for me",
    "please call in the evening",
    "call me tonight",
    "call me around 4ish",
    "can u call at lunch",
    "dont call me at work",
    "no calls during the day my husband is home",
    "my husband is home after 5 so dont call then",
    "call me in an hour",
    "call me in 20 mins",
    "best time to reach me is after 6",
    "only on saturday",
    "call me monday",
    "call me on monday morning",
    "ring me after 8",
    "call me after work",
    "i work 9 to 5",
    "call me at 3:30",
    "dont call after 9 pm",
    "not on weekends",
    "call me tomorrow",
    "not today, tomorrow is better",
    "any time before noon",
    "no calls at night",
    "can you call me after 5? dont call before that, my husband is home",
    "i was busy earlier, call me after 5",
    "CALL ME AFTR 6PM",
    "llamenme despues de las 6",
    "Llámenme después de las 6",
    "despues de las 5 por favor",
    "no me llamen despues de las 5",
    "solo en las mañanas",
    "en la mañana por favor",
    "por la tarde",
    "llamenme mañana en la mañana",
    "solo fines de semana",
    "los fines de semana",
    "trabajo de noche, llamen despues de las 3",
    "mejor en la tarde",
    "a las 4",
    "llameme el lunes",
    "entre las 2 y las 4",
    "despues del trabajo",
    "hoy no, mañana",
    "no me llamen en la noche",
    "antes de las 3",
    "depues de las 7",
    "llamame a las 5 de la tarde",
    "llamenme mañana",
]
NOT_WHEN = [
    "I've been on oxy for 5 years",
    "ive been taking oxycodone for 5 yrs",
    "i take 5 mg 3 times a day",
    "my pain is worse at night",
    "it hurts more every morning",
    "i woke up this morning in so much pain",
    "after 5 years on opioids my pain is worse",
    "i take 30mg twice a day",
    "he took 2 pills an hour ago",
    "call",
    "call me",
    "call me back",
    "please call me now",
    "call me asap",
    "10001",
    "10001-1234",
    "austin tx",
    "help",
    "i need to talk to someone",
    "what is oih",
    "i called my doctor yesterday at 5",
    "good morning",
    "good night",
    "Buenos dias",
    "buenas noches",
    "morning",
    "hi, morning!",
    "call me at 555-123-4567",
    "my number is 555 123 4567",
    "llevo 5 años tomando oxicodona",
    "me duele mas en la noche",
    "tomo 10 mg en la mañana",
    "desde hace 3 meses",
    "i cant sleep at night",
    "i was home alone last night",
    "i have been clean since monday",
    "the clinic opens at 8",
    "is the clinic open on saturday",
    "do you guys call on weekends",
    "what are your hours",
    "i'll call you tomorrow",
    "stop texting me",
    "thanks",
    "ok",
    "i take 1-2 pills every 4 hours",
    "2 years ago my doctor raised my dose",
    "every night my legs hurt",
    "llamenme por favor",
    "quiero hablar con alguien",
    "mi esposo toma metadona",
    "6",
]


@pytest.mark.parametrize("body", SAYS_WHEN)
def test_a_text_that_says_when_to_call_is_read_so(body):
    assert says_when_to_call(body)


@pytest.mark.parametrize("body", NOT_WHEN)
def test_a_time_or_number_said_for_another_reason_is_no_call_time(body):
    assert not says_when_to_call(body)


def test_staff_get_the_text_in_their_words_tidied_and_a_long_one_cut():
    assert when_to_call("  call me   after 5\n please ") == "call me after 5 please"
    long = "call me after 5 " + "because my husband is home " * 20
    assert len(when_to_call(long)) == CALL_TIME_LIMIT and when_to_call(long).endswith("…")
    assert when_to_call("I've been on oxy for 5 years") is None


WELCOMED = TexterState(welcomed=True, disclaimed=True)
NOTHING_OPEN = Context()
OPEN = Context(has_open_callback=True)


def decided(body: str, ctx: Context = NOTHING_OPEN, state: TexterState = WELCOMED):
    return noted(decide(state, Inbound(body), ctx), body, ctx)


def test_asking_for_a_call_with_a_time_keeps_the_words_on_the_request():
    decision = decided("call me after 5 please")
    (action,) = decision.actions
    assert action == RequestCallback(False, "callback", call_time="call me after 5 please")


def test_a_crisis_with_a_time_keeps_the_words_and_its_guidance_as_it_is():
    body = "i took too many pills, dont call after 5"
    plain = decide(WELCOMED, Inbound(body), Context())
    decision = decided(body)
    assert decision.replies == plain.replies and decision.intent == "crisis"
    (action,) = decision.actions
    assert action.priority and action.call_time == body


@pytest.mark.parametrize("body", ["mornings only", "no calls after 5pm", "only weekends", "not before noon"])
def test_with_a_request_open_the_time_is_noted_and_the_texter_told(body):
    decision = decided(body, OPEN)
    assert decision.actions[-1] == NoteCallTime(body)
    assert [say.key for say in decision.replies] == ["call_time_kept"]


def test_while_a_crisis_is_open_they_hear_staff_still_call_as_soon_as_they_can():
    decision = decided("after 5 is better", Context(has_open_callback=True, open_crisis=True))
    assert [say.key for say in decision.replies] == ["call_time_kept_crisis"]
    assert decision.actions == (NoteCallTime("after 5 is better"),)


@pytest.mark.parametrize(
    "body, ctx",
    [
        ("mornings only", Context()),  # nothing asked for, nothing open: nothing to note it on
        ("cancel my callback, i work mornings", OPEN),  # taken back
        ("I've been on oxy for 5 years", OPEN),
        ("call me", Context()),
    ],
)
def test_no_note_without_a_request_or_without_a_time(body, ctx):
    plain = decide(WELCOMED, Inbound(body), ctx)
    assert decided(body, ctx) == plain


def test_a_reply_that_confirms_the_call_says_it_is_passed_on():
    decision = decided("no, call me after 5", Context(awaiting_follow_up=True))
    assert [(say.key, say.params.get("_call_time")) for say in decision.replies] == [
        ("follow_up_callback", True)
    ]
    assert decision.actions[-1] == NoteCallTime("no, call me after 5")
