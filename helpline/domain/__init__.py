"""Pure rules and content: no Flask, Redis, RQ, HTTP or Twilio. Tested without any server."""
