"""Per-team OpenID Connect single sign-on.

config: settings a team admin saves (services) and what the provider says about
itself (discovery); oidc: the login flow on top of mozilla-django-oidc; views
and api: the console page, the login/callback endpoints and the REST API.
"""
