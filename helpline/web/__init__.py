"""Blueprints only: parse the request, call a service, render TwiML or a page."""
