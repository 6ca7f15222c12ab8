"""`flask simulate sms`: a local phone that signs like Twilio and prints the conversation."""

from tests.servers import free_port, serving


def test_simulate_sms_in_process_when_no_server_runs(app, nothing_listening):
    result = app.test_cli_runner().invoke(args=["simulate", "sms", "+15551230001", "oih"])
    assert result.exit_code == 0, result.output
    assert "you (+15551230001) -> helpline: oih" in result.output
    assert "opioid-induced hyperalgesia" in result.output


def test_simulate_sms_posts_signed_requests_to_a_running_server(app, store):
    with serving(app) as url:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["simulate", "sms", "+15551230001", "hola", "--url", url, "--wait", "0"])
        second = runner.invoke(
            args=["simulate", "sms", "+15551230001", "señales", "--url", url, "--wait", "0"]
        )
    assert first.exit_code == 0, first.output
    assert "Responda" in first.output
    assert "Posibles señales" in second.output
    turns = store.conversation(store.vault.phone_id("+15551230001"))
    assert [t["text"] for t in turns if t["dir"] == "in"] == ["hola", "señales"]


def test_simulate_sms_says_clearly_when_the_given_server_is_unreachable(app):
    url = f"http://127.0.0.1:{free_port()}"
    result = app.test_cli_runner().invoke(args=["simulate", "sms", "+15551230001", "oih", "--url", url])
    assert result.exit_code == 1
    assert "could not reach the service" in result.output
