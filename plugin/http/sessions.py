"""Flask's signed-cookie session, opened only on the paths that keep one (dashboard, sign-in).

Webhooks, the widget API and the owner API authenticate every request by signature, token or
bearer key and never read a cookie; opening a session there built a signing serializer and parsed
the Cookie header on each delivery, which a webhook under load pays for nothing.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

STATELESS = ("/webhooks/", "/widget/v1/", "/api/v1/")


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if request.path.startswith(STATELESS):
            return self.null_session_class()
        return super().open_session(app, request)
