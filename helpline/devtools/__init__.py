"""The local phone (`flask simulate`) and the operators' CLIs."""
