"""Shared infrastructure: database base, jobs, mail, themes, web layout, security."""
