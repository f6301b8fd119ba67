"""Access control for deployments: API keys and scopes, rate limits, request body limits, CORS and
the access log. Off by default (``MILCOOP_AUTH=off``): a bare ``milcoop serve`` asks for no key.

* :mod:`.scopes`: the scopes and the one table that says which scope each path needs;
* :mod:`.keys`: the keys file (hashed keys) that ``milcoop keys`` writes and the API reads;
* :mod:`.middleware`: the ASGI middleware that checks every request against the table, limits
  its rate and its body, and writes the access log (:mod:`.audit`);
* :mod:`.deps`: the caller (:class:`~.principal.Principal`) for routers, and ``require_scope``
  for a route that wants to state its scope (the table must agree);
* :mod:`.errors`: the refusals, answered in the API's error shape by api/errors.py.

See docs/security.md. This module imports none of them, so that api/errors.py can import
:mod:`.errors` while :mod:`.middleware` imports api/errors.py.
"""
