"""The one family of domain errors: every refusal a service (or a model rule) raises derives from ``DomainError``.

A domain error carries what a person or a client needs and nothing else:

- ``message`` — the translated sentence shown to the person; ``str(exc)`` is the same text, so
  ``form.add_error(None, str(exc))`` and ``messages.error(request, exc)`` show it as is;
- ``code`` — a stable machine code (``"rejected"``, ``"conflict"``, ``"sold_out"``…): a class default,
  overridable per raise;
- ``status`` — the HTTP status the API answers with (400 unless the class or the raise says otherwise:
  409 for a lost compare-and-set, 429 for a rate limit, 404 where the thing is not there);
- ``field`` — the form/request field the message is about, if any (the API lists it under ``fields``);
- ``retry_after`` — seconds, for a refusal that goes away by waiting (the API sends ``Retry-After``).

The REST API turns any ``DomainError`` into its error shape in one place, ``coop.api.base.exception_handler``
(``settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]``): API views let domain errors propagate.
"""


class DomainError(Exception):
    """Base of every domain exception. ``DomainError(message, code=None, *, status=None, field=None,
    retry_after=None)``; ``code`` may be given positionally (``OrderError(msg, "sold_out")``)."""

    code = "rejected"
    status = 400
    field = None
    retry_after = None

    def __init__(self, message="", code=None, *, status=None, field=None, retry_after=None):
        message = str(message)
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if field is not None:
            self.field = field
        if retry_after is not None:
            self.retry_after = retry_after

    def __str__(self):
        return self.message
