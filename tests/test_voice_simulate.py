"""`flask simulate call`: walks the IVR as Twilio would and prints what the caller hears and is texted."""

import pytest

from helpline.services import callbacks
from helpline.store import Keys
from tests.servers import free_port, serving


@pytest.fixture
def settings(settings, findtreatment_fake):
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def simulate(app, *args):
    result = app.test_cli_runner().invoke(args=["simulate", "call", "+15551230001", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_digits_walk_the_menu_and_the_texts_sent_are_printed(app, nothing_listening, small_directory):
    output = simulate(app, "--digits", "2,10001,1")  # the design's example, and 1: text them to me
    assert "(you call the helpline from +15551230001)" in output
    assert "(you press 2)" in output and "providers near 1 0 0 0 1" in output
    assert "Midtown Pain Care" in output
    texted = output.split("helpline -> you (text):", 1)[1]  # the providers, texted by the worker
    assert "Treatment near 10001" in texted and "Midtown Pain Care" in texted


def test_say_then_digits_in_the_order_given(app, nothing_listening, small_directory):
    output = simulate(app, "--say", "find treatment", "--digits", "10001")
    assert '(you say "find treatment")' in output
    assert output.index("find treatment") < output.index("(you press 10001)")
    assert "providers near 1 0 0 0 1" in output and "Midtown Pain Care" in output


def test_digits_again_after_words_are_pressed_after_them(app, nothing_listening, small_directory):
    output = simulate(app, "--digits", "2", "--say", "one zero zero zero one", "--digits=1")
    presses = [output.index("(you press 2)"), output.index('(you say "one zero zero zero one")')]
    assert presses == sorted(presses) and output.index("(you press 1)") > presses[1]
    assert "You said 1 0 0 0 1" in output and "Midtown Pain Care" in output  # said, read back, confirmed


def test_spanish_voicemail_becomes_a_callback_and_the_call_is_recorded(app, store, nothing_listening):
    output = simulate(app, "--digits", "9,4", "--say", "Hola, necesito ayuda")
    assert "Para hablar con alguien ahora" in output and "recibimos su mensaje" in output
    assert "(the helpline hangs up)" in output
    (request,) = callbacks.waiting(store)
    assert request.reason == "voicemail" and request.lang == "es"
    assert int(store._r.get(Keys.stat("calls.outcome.completed", "total"))) == 1  # the status callback


def test_silence_repeats_then_goodbye_with_stay(app, nothing_listening):
    output = simulate(app, "--stay")
    assert output.count("press 4") == 3
    assert "Goodbye" in output and "(the helpline hangs up)" in output


def test_simulate_call_posts_signed_requests_to_a_running_server(app, store):
    with serving(app) as url:
        output = simulate(app, "--digits", "3,1", "--url", url, "--wait", "0")
    assert "on our callback list" in output
    assert callbacks.waiting(store)[0].channel == "voice"


def test_unreachable_server_is_said_clearly(app):
    url = f"http://127.0.0.1:{free_port()}"
    result = app.test_cli_runner().invoke(
        args=["simulate", "call", "+15551230001", "--digits", "1", "--url", url]
    )
    assert result.exit_code == 1
    assert "could not reach the service" in result.output


def test_answer_lets_an_on_duty_staff_phone_take_the_call(app, nothing_listening, staff_on_duty):
    output = simulate(app, "--digits", "4", "--answer")
    assert "(ringing 2 staff phone(s): completed)" in output
    assert "(staff press 1: connected)" in output and "Thank you for calling" in output


def test_answer_with_nobody_on_duty_says_why_no_phone_rang(app, nothing_listening):
    output = simulate(app, "--digits", "4", "--answer")
    assert "nobody is on duty" in output and "flask staff duty EMAIL on" in output
