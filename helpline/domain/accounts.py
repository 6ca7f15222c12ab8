"""Staff accounts as records, and the rules an account's fields follow (email, role, phone, password)."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.domain.phones import callable_number

ROLES = ("staff", "operator")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """An account cannot be created or changed as asked (unknown, exists, bad role/phone/password)."""


@dataclass
class StaffAccount:
    email: str
    role: str = "staff"  # staff | operator (operators can do everything staff can)
    password_hash: str = ""
    disabled: bool = False
    phone_enc: str = ""  # encrypted E.164 number rung when on duty
    on_duty: bool = False
    created: float = 0.0
    session_version: int = 0  # bumped to end every open session (disable, password change)

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def rings(self) -> bool:
        """Whether "talk to someone now" rings this account's phone."""
        return self.on_duty and bool(self.phone_enc) and not self.disabled


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"not an email address: {email!r}")
    return email


def normalize_phone(phone: str) -> str:
    """A phone as staff type it -> E.164 (the one rule every number follows), or AccountError."""
    number = callable_number(phone or "")
    if number is None:
        raise AccountError("not a valid phone number")
    return number


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
