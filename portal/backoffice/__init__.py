"""The back office of the Ämter under ``/verwaltung``: only for staff logins."""
